"""The dossier-status dialogue, as a pure function of the message and the conversation.

"tra cứu hồ sơ", "hồ sơ của tôi đến đâu rồi" or a message with a dossier code in it starts a
lookup: the bot asks for the code if it has none, then for what proves the dossier is the
citizen's (the last 4 digits of the phone number on it), then answers. After a passed proof
"theo dõi hồ sơ này" follows the dossier; "hủy theo dõi" stops. Anything else, even in the
middle of a lookup, goes back to the procedure dialogue (:mod:`actions.policy`).

The words are in ``actions/dossier_cues.yml`` (whole words on the folded message, as in
:mod:`actions.cues`). :func:`next_step` says what to do; :mod:`actions.dossier_turn` does it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from actions.cues import _Matcher
from tthc_text import search_text
from tthc_text.dossier_codes import CODE_IN_TEXT, find_code

CUES_FILE = Path(__file__).with_name("dossier_cues.yml")

StepKind = Literal[
    "ask_code",  # a lookup without a code: ask for it
    "ask_proof",  # a code: ask for the last 4 digits of the phone number
    "check",  # the proof: look the dossier up
    "repeat_proof",  # waiting for the proof, got something that is not one
    "follow",  # follow the dossier whose proof passed
    "follow_needs_lookup",  # "theo dõi hồ sơ" before any lookup
    "unfollow",
    "cancel",  # the citizen gave up the lookup
]


class DossierCueFile(BaseModel):
    """The schema of ``actions/dossier_cues.yml``."""

    model_config = ConfigDict(extra="forbid")
    status: list[str]
    own: list[str]
    own_pronouns: list[str]
    handed_in: list[str]
    waited: list[str]
    progress: list[str]
    follow: list[str]
    unfollow: list[str]
    cancel: list[str]


@dataclass(frozen=True)
class DossierCues:
    status: _Matcher
    own: _Matcher
    own_named: re.Pattern[str]  # "ho so cap doi cccd cua toi"
    handed_in: re.Pattern[str]  # "ho so dang ky tam tru da duoc duyet chua"
    waited: re.Pattern[str]  # "nop ho so ho chieu 10 ngay roi"
    progress: _Matcher
    follow: _Matcher
    unfollow: _Matcher
    cancel: _Matcher


# at most this many words between "ho so" and whose it is, or what is asked of it
_NAMED = r"(?: \S+){0,8}"


def _alternatives(phrases: list[str]) -> str:
    return "|".join(re.escape(p) for p in sorted(_Matcher(phrases).phrases, key=len, reverse=True)) or r"(?!x)x"


@lru_cache(maxsize=4)
def load_dossier_cues(path: Path = CUES_FILE) -> DossierCues:
    """The cue file, checked (a mistake raises ``ValueError`` naming the field)."""
    data = DossierCueFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    return DossierCues(
        status=_Matcher(data.status),
        own=_Matcher(data.own),
        own_named=re.compile(rf"(?<!\S)ho so{_NAMED} cua (?:{_alternatives(data.own_pronouns)})(?!\S)"),
        handed_in=re.compile(rf"(?<!\S)ho so{_NAMED} (?:{_alternatives(data.handed_in)})(?!\S)"),
        waited=re.compile(rf"(?<!\S)(?:da nop|nop|gui){_NAMED} (?:\d+ |may |mot |hai |ba |nua )?(?:{_alternatives(data.waited)})(?!\S)"),
        progress=_Matcher(data.progress),
        follow=_Matcher(data.follow),
        unfollow=_Matcher(data.unfollow),
        cancel=_Matcher(data.cancel),
    )


@dataclass(frozen=True)
class DossierState:
    """The conversation's dossier slots."""

    stage: Literal["code", "proof"] | None = None  # what the bot last asked for
    code: str | None = None  # the code of the lookup under way
    verified: str | None = None  # the code whose proof passed in this conversation


@dataclass(frozen=True)
class Step:
    kind: StepKind
    state: DossierState  # the slots after this message
    code: str | None = None
    digits: str | None = None  # the proof given


_DIGITS = re.compile(r"\d")


def proof_digits(text: str) -> str | None:
    """The last 4 digits of a phone number in a message: the message's digits when there
    are exactly 4 of them ("5678", "5 6 7 8", "số cuối là 5678"), or the last 4 of a whole
    phone number (10 or 11 digits); None otherwise. A dossier code is not counted."""
    without_code = CODE_IN_TEXT.sub(" ", text or "")
    digits = "".join(_DIGITS.findall(without_code))
    if len(digits) == 4:
        return digits
    groups = re.findall(r"\d[\d\s.\-]{8,14}\d", without_code)
    if len(groups) == 1 and len(digits) in (10, 11):
        return digits[-4:]
    return None


def asks_status(folded: str, cues: DossierCues) -> bool:
    """Whether a (folded) message asks where a submitted dossier stands."""
    if cues.status.any(folded) or cues.handed_in.search(folded) or cues.waited.search(folded):
        return True
    own = cues.own.any(folded) or cues.own_named.search(folded) is not None
    return own and (cues.progress.any(folded) or _ends_in_chua(folded))


_PARTICLES = {"a", "ah", "nhi", "nhe", "vay", "z", "ad", "ha", "khong", "ko", "roi", "r", "the", "ban", "oi"}


def _ends_in_chua(folded: str) -> bool:
    """'... da duoc tiep nhan chua a': a question whether something has happened yet."""
    words = folded.split()
    while words and words[-1] in _PARTICLES:
        words.pop()
    return bool(words) and words[-1] == "chua"


def next_step(text: str, state: DossierState, cues: DossierCues | None = None) -> Step | None:
    """What to do with a message about a dossier; None when it is not about one (the
    procedure dialogue answers it, and a lookup under way is left)."""
    cues = cues or load_dossier_cues()
    folded = " ".join(search_text(text).split())
    code = find_code(text)
    cleared = replace(state, stage=None, code=None)
    if cues.unfollow.any(folded):
        return Step("unfollow", cleared, code=code)
    if cues.follow.any(folded) and (code or state.verified or "ho so" in folded):
        target = code or state.verified
        if target is not None and target == state.verified:
            return Step("follow", cleared, code=target)
        if code is not None:  # a new code: its proof first
            return Step("ask_proof", DossierState("proof", code, state.verified), code=code)
        return Step("follow_needs_lookup", cleared)
    if state.stage == "proof" and state.code:
        digits = proof_digits(text)
        if code is not None and code != state.code:
            return Step("ask_proof", DossierState("proof", code, state.verified), code=code)
        if digits is not None:
            return Step("check", cleared, code=state.code, digits=digits)
        if cues.cancel.any(folded) and not asks_status(folded, cues):
            return Step("cancel", cleared)
        if code is not None or asks_status(folded, cues) or _mostly_digits(text):
            return Step("repeat_proof", state, code=state.code)
        return None
    if code is not None:
        return Step("ask_proof", DossierState("proof", code, state.verified), code=code)
    if state.stage == "code" and cues.cancel.any(folded) and not asks_status(folded, cues):
        return Step("cancel", cleared)
    if asks_status(folded, cues) or (state.stage == "code" and _mostly_digits(text)):
        return Step("ask_code", DossierState("code", None, state.verified))
    return None


def _mostly_digits(text: str) -> bool:
    """A message that is a number, or nearly (a mistyped code or proof)."""
    compact = re.sub(r"[\s.\-_/]", "", text or "")
    return bool(compact) and sum(c.isdigit() for c in compact) >= max(2, len(compact) * 0.6)
