"""connectors.runtime: the Rasa server's tuning after start-up (reply validator, frozen heap)."""

from __future__ import annotations

import gc
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from connectors.runtime import tune_after_start, validate_action_result

pytestmark = pytest.mark.rasa

REPLIES: list[Any] = [
    {"events": [{"event": "slot", "name": "aspect", "value": "fee", "timestamp": None}],
     "responses": [{"text": "Dạ, lệ phí là 8.000 đồng.", "buttons": [{"title": "Nộp ở đâu", "payload": "/ask_place"}]}]},
    {"events": [], "responses": []},
    {},
    {"events": "slot", "responses": []},  # events not a list
    {"events": [{"name": "aspect", "value": "fee"}]},  # an event without its type
    {"events": [{"event": "slot", "name": 3}]},  # a slot name that is not text
    {"events": [], "responses": "Dạ"},  # responses not a list
    [],  # not an object
]


def rasa_accepts(reply: Any) -> bool:
    """What Rasa 3.6's own check says (``jsonschema.validate`` against its response schema)."""
    try:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError:
        return False
    return True


@pytest.mark.parametrize("reply", REPLIES)
def test_the_validator_built_once_agrees_with_rasas_check(reply: Any) -> None:
    expected = rasa_accepts(reply)
    if expected:
        assert validate_action_result(None, reply) is True
    else:
        with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
            validate_action_result(None, reply)


def test_both_kinds_of_reply_are_in_the_cases() -> None:
    verdicts = [rasa_accepts(reply) for reply in REPLIES]
    assert True in verdicts and False in verdicts


def test_tuning_installs_the_validator_and_freezes_the_heap_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    app = SimpleNamespace(ctx=SimpleNamespace())
    try:
        tune_after_start(app)
        assert RemoteAction._validate_action_result is validate_action_result
        frozen = gc.get_freeze_count()
        assert frozen > 0 and app.ctx.tthc_tuned
        monkeypatch.setattr(RemoteAction, "_validate_action_result", lambda *_: True)
        tune_after_start(app)  # the web channel registers it too: nothing happens twice
        assert RemoteAction._validate_action_result is not validate_action_result
    finally:
        gc.unfreeze()
