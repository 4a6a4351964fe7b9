"""Deciding which procedure a message is about: a pure function of the search hits and
the conversation's current procedure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from retrieval.index import Hit

Outcome = Literal["answer", "ask_which", "not_found"]

# Below this score a candidate is not worth offering as a button.
CANDIDATE_FLOOR = 0.15
MAX_CHOICES = 4


@dataclass(frozen=True)
class Resolution:
    outcome: Outcome
    code: str | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)  # (code, title)
    switched: bool = False  # the message named another procedure than the current one


def resolve(
    hits: Sequence[Hit],
    *,
    current: str | None,
    chosen: str | None,
    answer_threshold: float,
    ambiguity_margin: float,
    switch_threshold: float | None = None,
) -> Resolution:
    """What to answer.

    - ``chosen``: a code the citizen picked with a button: answer it.
    - a confident top hit, clearly ahead of the next: answer it (switching procedure if the
      conversation was about another one).
    - several confident hits close together: ask which one.
    - nothing confident, but the conversation has a current procedure: a clear enough
      other procedure (``switch_threshold``: "thế còn đăng ký tạm trú?") switches to it;
      otherwise the message is a follow-up ("còn lệ phí thì sao?") about the current one.
    - weak candidates only: ask which one; nothing at all: not found.
    """
    if chosen:
        return Resolution("answer", chosen, switched=chosen != current)
    confident = [h for h in hits if h.score >= answer_threshold]
    if confident:
        top = confident[0]
        close = [h for h in confident if top.score - h.score < ambiguity_margin]
        if current and any(h.code == current for h in close):
            return Resolution("answer", current)
        if len(close) > 1:
            return Resolution("ask_which", choices=[(h.code, h.title) for h in close[:MAX_CHOICES]])
        return Resolution("answer", top.code, switched=top.code != current)
    if current:
        if switch_threshold is not None and hits and hits[0].code != current and hits[0].score >= switch_threshold:
            return Resolution("answer", hits[0].code, switched=True)
        return Resolution("answer", current)
    weak = [h for h in hits if h.score >= CANDIDATE_FLOOR]
    if weak:
        return Resolution("ask_which", choices=[(h.code, h.title) for h in weak[:3]])
    return Resolution("not_found")
