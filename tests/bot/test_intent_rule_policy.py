"""bot.components.intent_rule_policy: one-step rules looked up by intent, as RulePolicy follows them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.training import load_data
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    Event,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.components.intent_rule_policy import IntentRulePolicy, UnsupportedRuleError

pytestmark = pytest.mark.rasa

REPO_ROOT = Path(__file__).resolve().parents[2]
BOT_CONFIG = {"core_fallback_threshold": 0.3, "core_fallback_action_name": "action_default_fallback"}


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO_ROOT / "bot" / "domain.yml"))


@pytest.fixture(scope="module")
def rules(domain: Domain) -> list[Any]:
    return load_data(str(REPO_ROOT / "bot" / "data" / "rules.yml"), domain, augmentation_factor=0)


def _policy(cls: type, tmp_path: Path, config: dict[str, Any]) -> Any:
    tmp_path.mkdir(parents=True, exist_ok=True)
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), node_name=cls.__name__)
    return cls.create({**cls.get_default_config(), **config}, storage, Resource(cls.__name__), context)


def _tracker(domain: Domain, events: list[Event]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("someone", events, domain.slots)


def _said(intent: str | None, text: str = "một câu") -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 0.9} if intent else {})


def _predicted(policy: Any, tracker: DialogueStateTracker, domain: Domain) -> tuple[str, float]:
    prediction = policy.predict_action_probabilities(tracker, domain)
    best = prediction.max_confidence_index
    return domain.action_names_or_texts[best], round(prediction.max_confidence, 6)


def _situations(domain: Domain) -> list[list[Event]]:
    listen = ActionExecuted("action_listen")
    turn = [listen, _said("ask_documents"), ActionExecuted("action_respond")]
    cases: list[list[Event]] = []
    rule_intents = [i for i in domain.intents if i not in ("restart", "back", "session_start")]
    for intent in [*domain.intents, None]:  # every intent (the defaults too) and a message without one
        cases.append([listen, _said(intent)])
        cases.append([*turn, listen, _said(intent)])  # later in a conversation
        if intent in rule_intents:
            cases.append([listen, _said(intent), ActionExecuted("action_respond")])  # after the answer
    cases.append([*turn, SlotSet("procedure_code", "1.001193"), listen, _said("ask_fee")])
    cases.append([*turn, listen])  # waiting
    # a message without an intent: the fallback, which takes the message back
    cases.append([*turn, listen, _said(None), ActionExecuted("action_default_fallback"), UserUtteranceReverted()])
    return cases


def test_it_predicts_what_rule_policy_predicts_for_the_bots_rules(tmp_path: Path, domain: Domain,
                                                                  rules: list[Any]) -> None:
    ours = _policy(IntentRulePolicy, tmp_path / "ours", BOT_CONFIG)
    ours.train(rules, domain)
    rasa = _policy(RulePolicy, tmp_path / "rasa", BOT_CONFIG)
    rasa.train(rules, domain)
    seen = set()
    # (after /restart and /back the tracker's follow-up action is action_listen: Rasa asks no policy)
    for events in _situations(domain):
        tracker = _tracker(domain, events)
        expected = _predicted(rasa, tracker, domain)
        assert _predicted(ours, tracker, domain) == expected, [str(e) for e in events]
        seen.add(expected[0])
    # the situations cover every kind of prediction
    assert {"action_respond", "action_listen", "action_restart", "action_back", "action_session_start",
            "action_default_fallback"} <= seen


def test_a_trained_policy_is_loaded_with_its_rules(tmp_path: Path, domain: Domain, rules: list[Any]) -> None:
    trained = _policy(IntentRulePolicy, tmp_path, BOT_CONFIG)
    resource = trained.train(rules, domain)
    loaded = IntentRulePolicy.load({**IntentRulePolicy.get_default_config(), **BOT_CONFIG},
                                   LocalModelStorage(tmp_path), resource,
                                   ExecutionContext(GraphSchema({}), node_name="loaded"))
    assert loaded.rules == trained.rules
    assert set(loaded.rules) == {i for i in domain.intents if i not in ("restart", "back", "session_start")}
    tracker = _tracker(domain, [ActionExecuted("action_listen"), _said("ask_fee")])
    assert _predicted(loaded, tracker, domain) == ("action_respond", 1.0)


RULE_WITH_SLOT = """
version: "3.1"
rules:
  - rule: fee once a procedure is known
    condition:
      - slot_was_set:
          - procedure_code: "1.001193"
    steps:
      - intent: ask_fee
      - action: action_respond
"""
TWO_TURNS = """
version: "3.1"
rules:
  - rule: greet then ask
    steps:
      - intent: greet
      - action: action_respond
      - intent: ask_fee
      - action: action_respond
"""
CONTRADICTING = """
version: "3.1"
rules:
  - rule: greet
    steps:
      - intent: greet
      - action: action_respond
  - rule: greet otherwise
    steps:
      - intent: greet
      - action: action_default_fallback
"""
STORY = """
version: "3.1"
stories:
  - story: a story
    steps:
      - intent: greet
      - action: action_respond
"""


@pytest.mark.parametrize("data, complaint", [(RULE_WITH_SLOT, "SlotSet"), (TWO_TURNS, "4 steps"),
                                             (CONTRADICTING, "contradict"), (STORY, "is a story")])
def test_training_refuses_what_it_cannot_follow(tmp_path: Path, domain: Domain, data: str, complaint: str) -> None:
    path = tmp_path / "data.yml"
    path.write_text(data, encoding="utf-8")
    trackers = load_data(str(path), domain, augmentation_factor=0)
    with pytest.raises(UnsupportedRuleError, match=complaint):
        _policy(IntentRulePolicy, tmp_path / "model", BOT_CONFIG).train(trackers, domain)
