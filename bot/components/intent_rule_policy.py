"""A dialogue policy for one-step rules ("this intent → that action"), looked up directly.

Every rule of this bot is one user intent followed by one action (``bot/data/rules.yml``:
each intent goes to ``action_respond``, which decides the answer). Rasa's ``RulePolicy``
handles far more (conditions, loops, several turns), and pays for it at every prediction:
it turns the conversation into states and matches every rule against them, twice (with the
message's text and with its intent), about 1 ms per prediction and two predictions a
message. For one-step rules the same prediction is a lookup of the latest intent.

The predictions are ``RulePolicy``'s for such rules: after a user message, the rule's
action for its intent (Rasa's default intents ``/restart``, ``/back`` and
``/session_start`` go to their default actions first); a message whose intent no rule
names gets the fallback action at ``core_fallback_threshold``; after any other action,
``action_listen``. Training refuses what it cannot honour (stories, rules with conditions,
slots, loops or several steps) with a message that names the rule, so such data never
silently changes meaning: use ``RulePolicy`` for it.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.core.policies.rule_policy import DEFAULT_ACTION_MAPPINGS
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import (
    ACTION_DEFAULT_FALLBACK_NAME,
    ACTION_LISTEN_NAME,
    RULE_SNIPPET_ACTION_NAME,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, DefinePrevUserUtteredFeaturization, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

RULES_FILE = "intent_rules.json"
# RulePolicy's priority: a rule wins a tie with a machine-learnt policy
PRIORITY = 6


class UnsupportedRuleError(RasaException):
    """Training data this policy cannot follow as written."""


def _name(tracker: Any) -> str:
    return str(getattr(tracker, "sender_id", "") or "a rule")


def one_step_rule(tracker: DialogueStateTracker) -> tuple[str, str]:
    """The (intent, action) of a rule tracker of one user intent and one action."""
    steps: list[tuple[str, str]] = []
    for event in tracker.events:
        if isinstance(event, ActionExecuted):
            if event.action_name in (RULE_SNIPPET_ACTION_NAME, ACTION_LISTEN_NAME):
                continue
            steps.append(("action", str(event.action_name or event.action_text)))
        elif isinstance(event, UserUttered):
            steps.append(("intent", str(event.intent_name)))
        elif isinstance(event, DefinePrevUserUtteredFeaturization):
            continue
        else:  # a slot, a loop, an entity condition: RulePolicy's business
            raise UnsupportedRuleError(
                f"{_name(tracker)}: '{type(event).__name__}' steps need RulePolicy; IntentRulePolicy "
                "follows rules of one intent and one action only")
    if [kind for kind, _ in steps] != ["intent", "action"]:
        raise UnsupportedRuleError(
            f"{_name(tracker)}: {len(steps)} steps; IntentRulePolicy follows rules of one intent and one "
            "action only (use RulePolicy for longer rules)")
    return steps[0][1], steps[1][1]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class IntentRulePolicy(Policy):
    """Predicts the action of the one-step rule for the latest intent."""

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.RULE_DATA

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "priority": PRIORITY,
            "core_fallback_threshold": 0.3,
            "core_fallback_action_name": ACTION_DEFAULT_FALLBACK_NAME,
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, featurizer: Any = None,
                 rules: dict[str, str] | None = None) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.rules: dict[str, str] = dict(rules or {})

    def train(self, training_trackers: list[Any], domain: Domain, **kwargs: Any) -> Resource:
        rules: dict[str, str] = {}
        for tracker in training_trackers:
            if not getattr(tracker, "is_rule_tracker", False):
                raise UnsupportedRuleError(
                    f"{_name(tracker)} is a story: IntentRulePolicy follows one-step rules only")
            intent, action = one_step_rule(tracker)
            if rules.setdefault(intent, action) != action:
                raise UnsupportedRuleError(
                    f"rules contradict each other: intent '{intent}' goes to '{rules[intent]}' and to "
                    f"'{action}'")
        self.rules = rules
        with self._model_storage.write_to(self._resource) as folder:
            (folder / RULES_FILE).write_text(json.dumps(rules, ensure_ascii=False, sort_keys=True),
                                             encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> IntentRulePolicy:
        with model_storage.read_from(resource) as folder:
            rules = json.loads((folder / RULES_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, execution_context, rules=rules)

    def next_action(self, tracker: DialogueStateTracker) -> tuple[str, float]:
        """The action to run next and its confidence."""
        if tracker.latest_action_name != ACTION_LISTEN_NAME or not tracker.latest_message:
            return ACTION_LISTEN_NAME, 1.0
        intent = tracker.latest_message.intent.get("name")
        default = DEFAULT_ACTION_MAPPINGS.get(intent) if intent else None
        if default:
            return default, 1.0
        action = self.rules.get(intent) if intent else None
        if action:
            return action, 1.0
        return self.config["core_fallback_action_name"], float(self.config["core_fallback_threshold"])

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: dict[str, Any] | None = None,
                                     **kwargs: Any) -> PolicyPrediction:
        action, confidence = self.next_action(tracker)
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action)] = confidence
        return self._prediction(probabilities)
