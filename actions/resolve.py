"""Which procedure a message names: a pure function of the search hits.

The search score is the calibrated probability that a guide answers the message. A message
names a procedure when its best guide is confident. Close confident guides are told apart
by their names: "đăng ký tạm trú" names "Đăng ký tạm trú" fully, "Xóa đăng ký tạm trú"
only in part; when that does not settle it the message is ambiguous (ask which one). Below
the threshold the best guides are only candidates ("weak"): the dialogue decides with what
else it knows (the conversation's procedure, the NLU). Below the floor: nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

Kind = Literal["named", "ambiguous", "weak", "none"]

# Below this score a guide is not worth offering as a choice.
CANDIDATE_FLOOR = 0.15
MAX_CHOICES = 4
FULL_NAME = 0.999  # a query that covers a guide's whole name


class HitLike(Protocol):
    """What the resolution reads of a search hit (read-only, as a frozen hit is)."""

    @property
    def code(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def name_precision(self) -> float: ...


@dataclass(frozen=True)
class Found:
    kind: Kind
    code: str | None = None
    score: float = 0.0
    options: list[tuple[str, str]] = field(default_factory=list)  # (code, title), best first
    scores: dict[str, float] = field(default_factory=dict)  # every hit's score, by code

    @property
    def option_codes(self) -> list[str]:
        return [code for code, _ in self.options]


NOTHING = Found("none")


def find(
    hits: Sequence[HitLike],
    *,
    answer_threshold: float,
    ambiguity_margin: float,
    floor: float = CANDIDATE_FLOOR,
) -> Found:
    """What the hits (best first) say the message is about."""
    if not hits or hits[0].score < floor:
        return NOTHING
    found = _find(hits, answer_threshold, ambiguity_margin, floor)
    return Found(found.kind, found.code, found.score, found.options, {h.code: h.score for h in hits})


def _find(hits: Sequence[HitLike], answer_threshold: float, ambiguity_margin: float, floor: float) -> Found:
    top = hits[0]
    if top.score >= answer_threshold:
        close = [h for h in hits if h.score >= answer_threshold and top.score - h.score < ambiguity_margin]
        if len(close) > 1:
            whole = [h for h in close if h.name_precision >= FULL_NAME]
            if len(whole) == 1:
                return Found("named", whole[0].code, whole[0].score)
            return Found("ambiguous", options=[(h.code, h.title) for h in close[:MAX_CHOICES]])
        return Found("named", top.code, top.score)
    weak = [h for h in hits if h.score >= floor]
    return Found("weak", top.code, top.score, options=[(h.code, h.title) for h in weak[:3]])
