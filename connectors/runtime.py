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
  errors; a valid reply's events are each checked against their own event schema rather than
  against all 23 (see :class:`ActionReplyValidator`).
- **each graph is built once**: Rasa's graph runner derives, on every run (one NLU parse and
  each policy prediction), the sub-graph its targets need, walking the dependencies
  recursively, and rebuilds the task graph from it. For the same targets both are the same
  each time: they are built on the first run and reused (the inputs are added to a copy).
- **a message's sparse features are stacked in one step** (see :func:`combine_features`).
- **each event type is resolved once**: Rasa finds an event's class by walking the tree of
  event classes for every event it reads (see :func:`resolve_event_type`).
- **DIET calls its traced graph directly**: each prediction went through ``tf.function``'s
  dispatch, which checks the inputs against the signature, looks the traced graph up and
  converts the inputs again (about 1.5 ms of the ≈ 6 ms call). The signature is fixed when the
  graph is traced (every dimension but the last left open), so there is one concrete
  function: it is found once and called with the inputs as tensors (see
  :func:`predict_with_traced_graph`); the outputs are the same.
- **the connection to the action server is kept open**: Rasa opens an HTTP session (and so a
  new TCP connection, on both sides) for every call of the action server. Each endpoint keeps
  one session per event loop instead, and its connections are reused (aiohttp drops one the
  server closed, so a restarted action server is reached again on a new one).
"""

from __future__ import annotations

import asyncio
import copy
import gc
import logging
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)

_open_sessions: list[tuple[asyncio.AbstractEventLoop, Any]] = []  # (loop, session), closed when the server stops


class ActionReplyValidator:
    """Rasa's action server response schema, checked once, with a quick path for valid replies.

    The schema says each event is ``oneOf`` 23 event schemas, so every event of a reply is
    checked against all 23 (``oneOf`` must find exactly one). Each of them requires its own
    value of ``event``: a reply whose events pass the common part of the schema, each against
    the one schema named by its ``event``, passes the whole schema, and no other does. A
    reply that fails the quick path is checked by the whole schema, which gives the error.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        from jsonschema.validators import validator_for  # noqa: PLC0415

        cls = validator_for(schema)
        cls.check_schema(schema)
        self.full = cls(schema)
        self._common: Any = None
        self._by_event: dict[str, Any] = {}
        events = schema.get("properties", {}).get("events", {})
        event = events.get("items", {})
        kinds = event.get("oneOf", [])
        names = [kind.get("properties", {}).get("event", {}).get("const") for kind in kinds]
        if kinds and all(isinstance(n, str) for n in names) and len(set(names)) == len(names) \
                and "event" in event.get("required", []):
            common_event = {key: value for key, value in event.items() if key != "oneOf"}
            common = {**schema, "properties": {**schema["properties"], "events": {**events, "items": common_event}}}
            self._common = cls(common)
            self._by_event = {name: cls(kind) for name, kind in zip(names, kinds)}

    def _passes_quickly(self, result: Any) -> bool:
        if self._common is None or not self._common.is_valid(result):
            return False
        for event in result.get("events", []) if isinstance(result, dict) else []:
            kind = self._by_event.get(event["event"])
            if kind is None or not kind.is_valid(event):
                return False
        return True

    def best_error(self, result: Any) -> Any:
        """``None`` for a reply the schema accepts, else the error ``jsonschema`` reports."""
        from jsonschema.exceptions import best_match  # noqa: PLC0415

        if self._passes_quickly(result):
            return None
        return best_match(self.full.iter_errors(result))


@lru_cache(maxsize=1)
def action_reply_validator() -> ActionReplyValidator:
    """The validator of Rasa's action server response schema (the schema checked once)."""
    from rasa.core.actions.action import RemoteAction  # noqa: PLC0415

    return ActionReplyValidator(RemoteAction.action_response_format_spec())


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the validator built once: the same
    ``ValidationError``, with the same hint appended, for a reply that does not fit."""
    from jsonschema import ValidationError  # noqa: PLC0415
    from rasa.shared.constants import DOCS_BASE_URL  # noqa: PLC0415

    error: ValidationError | None = action_reply_validator().best_error(result)
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def stack_columns(matrices: list[Any]) -> Any:
    """``scipy.sparse.hstack(matrices)`` (a COO matrix, the same entries in the same order)
    built from the matrices' coordinates directly: a quarter of ``hstack``'s time, which
    converts and checks every block again."""
    import numpy as np  # noqa: PLC0415
    import scipy.sparse  # noqa: PLC0415

    blocks = [m.tocoo() for m in matrices]
    widths = [b.shape[1] for b in blocks]
    offsets = np.cumsum([0, *widths[:-1]])
    rows = np.concatenate([b.row for b in blocks])
    columns = np.concatenate([b.col + offset for b, offset in zip(blocks, offsets)])
    data = np.concatenate([b.data for b in blocks])
    return scipy.sparse.coo_matrix((data, (rows, columns)), shape=(blocks[0].shape[0], sum(widths)))


def combine_features(features: list[Any], featurizers: list[str]) -> Any:
    """``Message._combine_features`` with a message's sparse features stacked in one step.

    Rasa copies the first featurizer's matrix, then stacks each next one onto the result, one
    ``scipy.sparse.hstack`` per featurizer (four here, for each of the sequence and sentence
    features, on every message). The matrices put side by side in one step make the same
    matrix (:func:`stack_columns`). Anything else (dense features, rows that do not line up)
    is combined as Rasa does, one by one with ``Features.combine_with_features``, which also
    raises Rasa's errors.
    """
    from rasa.shared.nlu.training_data.features import Features  # noqa: PLC0415

    if not features:
        return None
    first = features[0]
    if len(features) > 1 and all(f.is_sparse() for f in features) \
            and len({f.features.shape[0] for f in features}) == 1:
        return Features(stack_columns([f.features for f in features]), first.type, first.attribute, featurizers)
    combined = copy.deepcopy(first)
    combined.origin = featurizers
    for more in features[1:]:
        combined.combine_with_features(more)
    return combined


_event_classes: dict[str, Any] = {}  # event type name -> the event class Rasa resolves it to


def resolve_event_type(type_name: str, default: Any = None) -> Any:
    """``Event.resolve_by_type`` with each type name's class found once.

    Rasa walks the whole tree of ``Event`` subclasses for each event it reads (every event of
    a tracker loaded from the store, every event an action returns). The classes are all
    imported when the model is loaded, so the class a name resolves to does not change; a
    name not found is not kept and gets Rasa's answer (``None`` for the old "topic", else
    the default, else Rasa's error).
    """
    found = _event_classes.get(type_name)
    if found is not None:
        return found
    from rasa.shared.core.events import Event  # noqa: PLC0415
    from rasa.shared.utils.common import all_subclasses  # noqa: PLC0415

    found = next((cls for cls in all_subclasses(Event) if cls.type_name == type_name), None)
    if found is not None:
        _event_classes[type_name] = found
        return found
    if type_name == "topic":
        return None
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def run_graph(self: Any, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
    """``DaskGraphRunner.run`` with the task graph of each set of targets built once."""
    import dask  # noqa: PLC0415
    from rasa.engine.exceptions import GraphRunError  # noqa: PLC0415

    run_targets = targets if targets else self._graph_schema.target_names
    graphs: dict[tuple[str, ...], dict[str, Any]] = self.__dict__.setdefault("_tthc_graphs", {})
    key = tuple(run_targets)
    if key not in graphs:
        graphs[key] = self._build_dask_graph(self._graph_schema.minimal_graph_schema(run_targets))
    graph = dict(graphs[key])
    if inputs:
        self._add_inputs_to_graph(inputs, graph)
    try:
        return dict(dask.get(graph, run_targets))
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error


class KeptSession:
    """What ``async with endpoint.session()`` enters in Rasa: an open session, left open."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *_exc: object) -> None:
        return None


def endpoint_session(self: Any) -> KeptSession:
    """``EndpointConfig.session`` with the endpoint's session opened once per event loop
    (the same headers, authentication and time limit as Rasa gives it)."""
    import aiohttp  # noqa: PLC0415
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT  # noqa: PLC0415

    loop = asyncio.get_running_loop()
    kept = self.__dict__.get("_tthc_session")
    if kept is None or kept[0] is not loop or kept[1].closed:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        session = aiohttp.ClientSession(headers=self.headers, auth=auth,
                                        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT))
        kept = self.__dict__["_tthc_session"] = (loop, session)
        _open_sessions.append(kept)
    return KeptSession(kept[1])


async def close_kept_sessions(_app: Any = None, _loop: Any = None) -> None:
    """The server's ``before_server_stop`` listener: close the sessions kept on its loop."""
    loop = asyncio.get_running_loop()
    for kept in [k for k in _open_sessions if k[0] is loop]:
        _open_sessions.remove(kept)
        await kept[1].close()


def predict_with_traced_graph(self: Any, batch_in: Any) -> Any:
    """``RasaModel._rasa_predict`` with the traced prediction graph's concrete function
    called directly, once Rasa's own call has traced it (the first prediction, and eager
    models, go through Rasa's)."""
    from keras.utils import tf_utils  # noqa: PLC0415
    from rasa.shared.constants import DIAGNOSTIC_DATA  # noqa: PLC0415

    step = self._tf_predict_step
    if step is None or self._run_eagerly or not self.prepared_for_prediction:
        return _rasas_predict(self, batch_in)
    import tensorflow as tf  # noqa: PLC0415

    concrete = self.__dict__.get("_tthc_concrete")
    if concrete is None:
        concrete = self.__dict__["_tthc_concrete"] = step.get_concrete_function()
    self._training = False
    flat = [tf.convert_to_tensor(value) for value in batch_in]
    outputs = tf_utils.sync_to_numpy_or_python_type(concrete._call_flat(flat, concrete.captured_inputs))
    if DIAGNOSTIC_DATA in outputs:
        outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
    return outputs


_rasas_predict: Any = None


def tune_process() -> None:
    """Install what the module docstring lists, and freeze the heap loaded so far (idempotent)."""
    from rasa.core.actions.action import RemoteAction  # noqa: PLC0415
    from rasa.engine.runner.dask import DaskGraphRunner  # noqa: PLC0415
    from rasa.shared.core.events import Event  # noqa: PLC0415
    from rasa.shared.nlu.training_data.message import Message  # noqa: PLC0415
    from rasa.utils.endpoints import EndpointConfig  # noqa: PLC0415
    from rasa.utils.tensorflow.models import RasaModel  # noqa: PLC0415

    global _rasas_predict  # noqa: PLW0603 - Rasa's own, kept once for the first (tracing) call
    if _rasas_predict is None:
        _rasas_predict = RasaModel._rasa_predict
    RasaModel._rasa_predict = predict_with_traced_graph  # type: ignore[method-assign]
    action_reply_validator()
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[method-assign,assignment]
    Message._combine_features = staticmethod(combine_features)  # type: ignore[method-assign,assignment]
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    DaskGraphRunner.run = run_graph  # type: ignore[method-assign]
    EndpointConfig.session = endpoint_session  # type: ignore[method-assign]
    gc.collect()
    gc.freeze()
    logger.info("tuned: the action reply validator and each graph built once, sparse features stacked in one "
                "step, DIET's traced graph called directly, event types resolved once, the action server's "
                "connection kept open; %d objects frozen out of garbage collection", gc.get_freeze_count())


def tune_after_start(app: Any, _loop: Any = None) -> None:
    """The server's ``after_server_start`` listener: :func:`tune_process`, once per server
    (the REST and web channels both register it)."""
    if getattr(app.ctx, "tthc_tuned", False):
        return
    tune_process()
    app.ctx.tthc_tuned = True
