"""Dialogue evaluation: whole conversations sent to a running bot, scored turn by turn from
the bot's own record of each turn (outcome, codes, aspect), never from its wording.

A file is a YAML list of conversations::

    - id: birth-followups
      nfd: false            # optional: send every turn in Unicode NFD
      catalog: false        # optional: about a procedure only the catalog tier answers
      turns:
        - say: "con mình mới sinh, làm giấy khai sinh cần mang gì"
          expect: {outcome: answer, codes: ["1.001193"], aspect: documents}

Each conversation is sent through the REST channel with a fresh sender id
(``eval-<run>-<id>``, left out of the console's statistics) and ``"metadata": {"trace":
true}``; a 429 is waited out and sent again, not scored.
"""

from __future__ import annotations

import time
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from actions.policy import OUTCOMES
from guides.aspects import ASPECTS  # the turn record's vocabulary is the policy's

DEFAULT_URL = "http://localhost:5005/webhooks/rest/webhook"
SENDER_PREFIX = "eval-"
MAX_RATE_LIMIT_WAITS = 20


def _as_list(value: object) -> object:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


def _known(value: list[str], allowed: tuple[str, ...], what: str) -> list[str]:
    bad = [v for v in value if v not in allowed]
    if bad:
        raise ValueError(f"unknown {what} {bad}; one of {', '.join(allowed)}")
    return value


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: list[str] = Field(min_length=1)
    codes: list[str] = Field(default_factory=list)
    aspect: list[str] = Field(default_factory=list)

    @field_validator("outcome", "codes", "aspect", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        return _as_list(value)

    @field_validator("outcome")
    @classmethod
    def _outcomes(cls, value: list[str]) -> list[str]:
        return _known(value, OUTCOMES, "outcome")

    @field_validator("aspect")
    @classmethod
    def _aspects(cls, value: list[str]) -> list[str]:
        return _known(value, ASPECTS, "aspect")

    @field_validator("codes", mode="after")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        return [str(v) for v in value]


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    say: str
    expect: Expect


class Conversation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    nfd: bool = False
    # about a procedure without a curated guide: answered only by a bot with the catalog tier
    catalog: bool = False
    turns: list[Turn] = Field(min_length=1)


def load_conversations(path: Path) -> list[Conversation]:
    """Read and validate a dialogue file; errors name the conversation and the field."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a list of conversations")
    conversations, seen = [], set()
    for position, item in enumerate(raw, start=1):
        try:
            conversation = Conversation.model_validate(item)
        except ValidationError as error:
            name = item.get("id") if isinstance(item, dict) else None
            raise ValueError(f"{path}: conversation {name or position}: {error}") from error
        if conversation.id in seen:
            raise ValueError(f"{path}: conversation id {conversation.id!r} appears twice")
        seen.add(conversation.id)
        conversations.append(conversation)
    return conversations


@dataclass(frozen=True)
class Got:
    outcome: str
    codes: list[str]
    aspect: str | None
    text: str


@dataclass(frozen=True)
class TurnResult:
    conversation: str
    turn: int  # 1-based
    say: str
    expect: Expect
    got: Got

    @property
    def outcome_ok(self) -> bool:
        return self.got.outcome in self.expect.outcome

    @property
    def codes_ok(self) -> bool:
        """The answered code (answer) or one of at least two options (clarify) is expected."""
        if not self.expect.codes or self.got.outcome not in ("answer", "clarify"):
            return True
        if self.got.outcome == "answer":
            return bool(self.got.codes) and self.got.codes[0] in self.expect.codes
        return len(self.got.codes) >= 2 and any(c in self.expect.codes for c in self.got.codes)

    @property
    def aspect_ok(self) -> bool:
        if self.got.outcome != "answer" or not self.expect.aspect:
            return True
        return self.got.aspect in self.expect.aspect

    @property
    def success(self) -> bool:
        return self.outcome_ok and self.codes_ok and self.aspect_ok


def score(results: Sequence[TurnResult]) -> dict[str, Any]:
    """The report's figures (the ``--json`` contract)."""
    by_conversation: dict[str, list[TurnResult]] = defaultdict(list)
    for result in results:
        by_conversation[result.conversation].append(result)
    right_code = [r for r in results if r.got.outcome == "answer" and "answer" in r.expect.outcome
                  and r.expect.aspect and r.codes_ok]
    by_outcome: dict[str, list[TurnResult]] = defaultdict(list)
    for result in results:
        by_outcome[result.expect.outcome[0]].append(result)
    ratio = lambda good, n: round(good / n, 4) if n else 0.0  # noqa: E731
    return {
        "turns": len(results),
        "turn_success": ratio(sum(r.success for r in results), len(results)),
        "conversations": len(by_conversation),
        "conversation_success": ratio(sum(all(r.success for r in rs) for rs in by_conversation.values()),
                                      len(by_conversation)),
        "aspect_accuracy": ratio(sum(r.aspect_ok for r in right_code), len(right_code)),
        "by_outcome": {name: {"n": len(rs), "success": ratio(sum(r.success for r in rs), len(rs))}
                       for name, rs in sorted(by_outcome.items())},
        "failures": [
            {"id": r.conversation, "turn": r.turn, "say": r.say,
             "expected": r.expect.model_dump(),
             "got": {"outcome": r.got.outcome, "codes": r.got.codes, "aspect": r.got.aspect, "text": r.got.text}}
            for r in results if not r.success
        ],
    }


def parse_reply(messages: object) -> Got:
    """The record and the text of one REST reply (a list of bot messages)."""
    record: dict[str, Any] = {}
    texts = []
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict):
            continue
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("turn"), dict):
            record = custom["turn"]
        elif message.get("text"):
            buttons = [str(b.get("title")) for b in message.get("buttons") or [] if isinstance(b, dict)]
            texts.append(str(message["text"]) + (f" [{' | '.join(buttons)}]" if buttons else ""))
    return Got(str(record.get("outcome") or "error"), [str(c) for c in record.get("codes") or []],
               record.get("aspect"), "\n".join(texts))


@dataclass
class Runner:
    """Sends conversations to a REST channel."""

    url: str = DEFAULT_URL
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep

    def send(self, client: httpx.Client, sender: str, text: str) -> Got:
        body = {"sender": sender, "message": text, "metadata": {"trace": True}}
        for _ in range(MAX_RATE_LIMIT_WAITS):
            try:
                response = client.post(self.url, json=body, timeout=self.timeout)
            except httpx.HTTPError as error:
                return Got("error", [], None, f"request failed: {error}")
            if response.status_code == 429:  # waited out, not scored
                self.sleep(float(response.headers.get("Retry-After") or 1))
                continue
            try:
                messages = response.json()
            except ValueError:
                return Got("error", [], None, f"HTTP {response.status_code}: {response.text[:200]}")
            got = parse_reply(messages)
            if response.status_code != 200:
                return Got("error", got.codes, got.aspect, f"HTTP {response.status_code}: {got.text}")
            return got
        return Got("error", [], None, "still rate-limited")

    def conversation(self, client: httpx.Client, conversation: Conversation) -> list[TurnResult]:
        sender = f"{SENDER_PREFIX}{self.run}-{conversation.id}"
        results = []
        for number, turn in enumerate(conversation.turns, start=1):
            text = unicodedata.normalize("NFD", turn.say) if conversation.nfd else turn.say
            results.append(TurnResult(conversation.id, number, turn.say, turn.expect, self.send(client, sender, text)))
        return results

    def evaluate(self, conversations: Sequence[Conversation], concurrency: int = 4) -> list[TurnResult]:
        with httpx.Client() as client, ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            per = list(pool.map(lambda c: self.conversation(client, c), conversations))
        return [r for results in per for r in results]


def format_report(report: dict[str, Any], results: Sequence[TurnResult]) -> str:
    """A readable report: the figures, then each failing turn with its conversation so far."""
    lines = [
        f"turns {report['turns']}: success {report['turn_success']:.3f}",
        f"conversations {report['conversations']}: success {report['conversation_success']:.3f}",
        f"aspect accuracy (answers with the right code): {report['aspect_accuracy']:.3f}",
        "by expected outcome: " + ", ".join(f"{k} {v['success']:.2f} (n={v['n']})"
                                            for k, v in report["by_outcome"].items()),
    ]
    by_conversation: dict[str, list[TurnResult]] = defaultdict(list)
    for result in results:
        by_conversation[result.conversation].append(result)
    for name, turns in by_conversation.items():
        if all(t.success for t in turns):
            continue
        lines.append(f"\n— {name}")
        for t in turns:
            mark = "✓" if t.success else "✗"
            lines.append(f"  {mark} {t.turn}. citizen: {t.say}")
            if not t.success:
                e = t.expect
                lines.append(f"      expected {'/'.join(e.outcome)} {e.codes or ''} {'/'.join(e.aspect)}")
                lines.append(f"      got      {t.got.outcome} {t.got.codes} {t.got.aspect or ''}")
                for text_line in t.got.text.splitlines()[:4]:
                    lines.append(f"      bot: {text_line[:160]}")
    return "\n".join(lines)
