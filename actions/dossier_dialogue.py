"""The dossier-status dialogue, as a pure function of the message and the conversation.

"tra cứu hồ sơ", "hồ sơ của tôi đến đâu rồi" or a message with a dossier code in it starts a
lookup: the bot asks for the code if it has none, then for what proves the dossier is the
citizen's (the last 4 digits of the phone number on it), then answers; after a wrong proof
the next digits are checked again. "em không có mã", "mất giấy hẹn" while the bot waits ends
the lookup with where to ask instead. After a passed proof "theo dõi hồ sơ này" (or "có kết
quả thì nhắn cho tôi") follows the dossier; "hủy theo dõi" ("không cần báo nữa") stops.
Anything else, even in the middle of a lookup, goes back to the procedure dialogue
(:mod:`actions.policy`).

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
    "without",  # ... because they have no code or no such phone number: where to ask instead
]


class DossierCueFile(BaseModel):
    """The schema of ``actions/dossier_cues.yml``."""

    model_config = ConfigDict(extra="forbid")
    status: list[str]
    alone: list[str]
    lookup_verbs: list[str]
    own: list[str]
    own_pronouns: list[str]
    handed_in: list[str]
    waited: list[str]
    progress: list[str]
    follow: list[str]
    unfollow: list[str]
    cancel: list[str]
    without: list[str]
    notify: list[str]
    notify_when: list[str]
    notify_off: list[str]


@dataclass(frozen=True)
class DossierCues:
    status: _Matcher
    alone: frozenset[str]
    check_for_me: re.Pattern[str]  # "kiem tra giup toi ho so", "xem giup em ho so em gui"
    own: _Matcher
    own_named: re.Pattern[str]  # "ho so cap doi cccd cua toi"
    handed_in: re.Pattern[str]  # "ho so dang ky tam tru da duoc duyet chua"
    waited: re.Pattern[str]  # "nop ho so ho chieu 10 ngay roi"
    progress: _Matcher
    follow: _Matcher
    unfollow: _Matcher
    cancel: _Matcher
    without: _Matcher
    notify_me: re.Pattern[str]  # "bao cho toi", "nhan tin cho c", "duoc bao khi"
    notify_when: _Matcher
    notify_off: re.Pattern[str]  # "khong can bao nua", "huy dang ky nhan thong bao"
    after_off: frozenset[str]  # the words that may follow it in a message that is only that


# at most this many words between "ho so" and whose it is, or what is asked of it
_NAMED = r"(?: \S+){0,10}"
# what may follow "stop telling me" in a message that is only that ("... ho so nay cho toi nhe")
_AFTER_OFF = frozenset("ho so nay do cho tin gi ve nua nhe nha a ad oi dau di cam on ban voi".split())
# "bao" as in "bao nhiêu", "bao lâu", "bao giờ", "bảo vệ" is not "báo" (tell)
_NOT_TELL = re.compile(r"(?<!\S)bao (?=(?:nhieu|lau|gio|lam|hiem|ham|tri|quat|gom|dam|ve)(?!\S))")


# what follows "báo cho tôi" when it asks to be told: "biết", "khi ...", a particle
_TOLD_THEN = "(?:biet|khi|neu|nhe|nha|nhen|voi|ngay|luon|a|ad|oi|nhi|ha|nghe|sau|lien|som|di|giup|dum|gium|thi)"
# longer messages are questions about a procedure, whatever words they use
_AT_MOST_WORDS = 20


def _untold(folded: str) -> str:
    return _NOT_TELL.sub("bao_", folded)


def _alternatives(phrases: list[str]) -> str:
    return "|".join(re.escape(p) for p in sorted(_Matcher(phrases).phrases, key=len, reverse=True)) or r"(?!x)x"


@lru_cache(maxsize=4)
def load_dossier_cues(path: Path = CUES_FILE) -> DossierCues:
    """The cue file, checked (a mistake raises ``ValueError`` naming the field)."""
    data = DossierCueFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    pronouns, verbs, notify = (_alternatives(data.own_pronouns), _alternatives(data.lookup_verbs),
                               _alternatives(data.notify))
    told = _alternatives([v for v in data.notify if v != "nhan"])  # "nhận" too is "nhan": only "nhan ... cho toi"
    return DossierCues(
        status=_Matcher(data.status),
        alone=frozenset(_Matcher(data.alone).phrases),
        check_for_me=re.compile(rf"(?<!\S)(?:{verbs}) (?:giup|dum|gium|ho|voi)(?: (?:{pronouns}))?(?: \S+)? ho so(?!\S)"),
        own=_Matcher(data.own),
        own_named=re.compile(rf"(?<!\S)ho so{_NAMED} cua (?:{pronouns})(?!\S)"),
        handed_in=re.compile(rf"(?<!\S)ho so{_NAMED} (?:{_alternatives(data.handed_in)})(?!\S)"),
        waited=re.compile(rf"(?<!\S)(?:da nop|nop|gui){_NAMED} (?:\d+ |may |mot |hai |ba |nua )?(?:{_alternatives(data.waited)})(?!\S)"),
        progress=_Matcher(data.progress),
        follow=_Matcher(data.follow),
        unfollow=_Matcher(data.unfollow),
        cancel=_Matcher(data.cancel),
        without=_Matcher(data.without),
        notify_me=re.compile(rf"(?<!\S)(?:(?:{told})(?: \S+){{0,2}} (?:cho )?(?:{pronouns})(?= {_TOLD_THEN}(?!\S)|$)"
                             rf"|nhan(?: \S+){{0,2}} cho (?:{pronouns})(?= {_TOLD_THEN}(?!\S)|$)"
                             rf"|duoc (?:bao|bao tin|thong bao|nhan tin|nhac)(?!\S))"),
        notify_when=_Matcher(data.notify_when),
        notify_off=re.compile(rf"(?<!\S)(?:{_alternatives(data.notify_off)})(?: (?!(?:xac|tiep|ghi) )\S+){{0,3}} "
                              rf"(?!(?:xac|tiep|ghi) )(?:{notify})(?!\S)"),
        after_off=_AFTER_OFF | {w for p in [*data.own_pronouns, *data.notify] for w in p.split()},
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
_COUNT = re.compile(r"(?<!\d)\d (?:chu so|con so|so)(?!\S)")


def proof_digits(text: str) -> str | None:
    """The last 4 digits of a phone number in a message: the message's digits when there
    are exactly 4 of them ("5678", "5 6 7 8", "số cuối là 5678"), or the last 4 of a whole
    phone number (10 or 11 digits); None otherwise. A dossier code is not counted."""
    without_code = _COUNT.sub(" ", search_text(CODE_IN_TEXT.sub(" ", text or "")))  # "4 so cuoi": not digits of it
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
    if folded in cues.alone or cues.check_for_me.search(folded):
        return True
    own = cues.own.any(folded) or cues.own_named.search(folded) is not None
    return own and (cues.progress.any(folded) or _ends_in_chua(folded))


def stops_telling(folded: str, state: DossierState, cues: DossierCues) -> bool:
    """Whether a message asks not to be told of changes any more: "hủy theo dõi", or "không
    cần báo nữa", "tắt nhắc hồ sơ" in a short message that is only that."""
    if cues.unfollow.any(folded):
        return True
    found = cues.notify_off.search(_untold(folded))
    if found is None:
        return False
    rest = _untold(folded)[found.end():].split()
    if asks_status(folded, cues):  # "sao không nhận được thông báo gì": where it stands
        return False
    words = folded.split()
    return len(words) <= _AT_MOST_WORDS and ("nua" in words or all(w in cues.after_off for w in rest))


def asks_to_be_told(folded: str, state: DossierState, cues: DossierCues) -> bool:
    """After a passed proof: "có kết quả thì nhắn cho tôi", "báo mình khi xong nhé"."""
    return state.verified is not None and len(folded.split()) <= _AT_MOST_WORDS \
        and cues.notify_me.search(_untold(folded)) is not None \
        and cues.notify_when.any(folded)


_PARTICLES = {"a", "ah", "nhi", "nhe", "vay", "z", "ad", "ha", "khong", "ko", "roi", "r", "the", "ban", "oi",
              "e", "em", "anh", "c", "chi", "bot", "admin"}


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
    if stops_telling(folded, state, cues):
        return Step("unfollow", cleared, code=code)
    if asks_to_be_told(folded, state, cues) and code in (None, state.verified):
        return Step("follow", cleared, code=state.verified)
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
        if cues.without.any(folded):
            return Step("without", cleared)
        if cues.cancel.any(folded) and not asks_status(folded, cues):
            return Step("cancel", cleared)
        if code is not None or asks_status(folded, cues) or _mostly_digits(text):
            return Step("repeat_proof", state, code=state.code)
        return None
    if code is not None:
        return Step("ask_proof", DossierState("proof", code, state.verified), code=code)
    if state.stage == "code" and cues.without.any(folded):
        return Step("without", cleared)
    if state.stage == "code" and cues.cancel.any(folded) and not asks_status(folded, cues):
        return Step("cancel", cleared)
    if asks_status(folded, cues) or (state.stage == "code" and _mostly_digits(text)):
        return Step("ask_code", DossierState("code", None, state.verified))
    return None


def _mostly_digits(text: str) -> bool:
    """A message that is a number, or nearly (a mistyped code or proof)."""
    compact = re.sub(r"[\s.\-_/]", "", text or "")
    return bool(compact) and sum(c.isdigit() for c in compact) >= max(2, len(compact) * 0.6)
