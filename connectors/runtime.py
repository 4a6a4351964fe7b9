"""Process-wide tuning of the Rasa server, applied once its model is loaded.

Registered on the REST channel's blueprint (always enabled) as an ``after_server_start``
listener, so it runs after Rasa's own start-up listener has loaded the agent, before the first
message:

- **the heap is frozen** (``gc.freeze``): the model, TensorFlow, the domain and the rules are
  millions of long-lived Python objects; each full collection of the garbage collector walked
  them all, and the allocations of one message triggered several (about a third of a message's
  time). Frozen, they are left out of every later collection; nothing of them would ever be
  freed anyway.
- **the action server's reply is checked by one validator built once**: Rasa 3.6 checks every
  reply of the action server against its response schema with ``jsonschema.validate``, which
  first checks the schema itself against the JSON Schema meta-schema, on every call (the
  larger part of the check). The same schema, checked once, validates each reply with the same
  errors.
"""

from __future__ import annotations

import gc
import logging
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def action_reply_validator() -> Any:
    """A validator of Rasa's action server response schema (the schema checked once)."""
    from jsonschema.validators import validator_for  # noqa: PLC0415
    from rasa.core.actions.action import RemoteAction  # noqa: PLC0415

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the validator built once: the same
    ``ValidationError``, with the same hint appended, for a reply that does not fit."""
    from jsonschema import ValidationError  # noqa: PLC0415
    from jsonschema.exceptions import best_match  # noqa: PLC0415
    from rasa.shared.constants import DOCS_BASE_URL  # noqa: PLC0415

    error: ValidationError | None = best_match(action_reply_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def tune_process() -> None:
    """Install the reply validator and freeze the heap loaded so far (idempotent)."""
    from rasa.core.actions.action import RemoteAction  # noqa: PLC0415

    action_reply_validator()
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    gc.collect()
    gc.freeze()
    logger.info("tuned: the action reply validator built once; %d objects frozen out of garbage collection",
                gc.get_freeze_count())


def tune_after_start(app: Any, _loop: Any = None) -> None:
    """The server's ``after_server_start`` listener: :func:`tune_process`, once per server
    (the REST and web channels both register it)."""
    if getattr(app.ctx, "tthc_tuned", False):
        return
    tune_process()
    app.ctx.tthc_tuned = True
