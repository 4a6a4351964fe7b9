"""Reading what a message asks from its words: the aspect, a yes/no question, a clear yes
or no, a request for a person, thanks, greetings, feedback, junk.

The phrases live in ``actions/cues.yml`` (validated by :class:`CueFile` when loaded);
every phrase is matched as whole words on the folded form of the message
(:func:`tthc_text.search_text`), so typing with or without diacritics, or in chat
shorthand, reads the same. :func:`read` is pure and cheap (a few regular expressions).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from guides.aspects import Aspect
from tthc_text import search_text

CUES_FILE = Path(__file__).with_name("cues.yml")

# A yes/no question is about eligibility unless one of these aspects is named, at least this
# plainly: "có mất tiền không" (fee), "làm online được không" (online), "có lấy trong ngày
# được không" (time). "Có phải ra xã không" stays eligibility: may I, must I.
YES_NO_OWN_ASPECTS = {"fee": 2, "online": 2, "legal": 2, "time": 3, "result": 3}
STRONG = 2  # the weight from which an aspect phrase counts as named plainly

_EMOJI_ONLY = re.compile(r"^[\W_]*$", re.UNICODE)
# One folded Vietnamese syllable: onset, one to three vowels, coda.
_SYLLABLE = re.compile(r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(ch|ng|nh|[cmnpt])?$")


def _phrases(values: list[str]) -> list[str]:
    return [" ".join(search_text(v).split()) for v in values if search_text(v).strip()]


class YesNo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    openers: list[str]
    standalone: list[str] = Field(default_factory=list)
    closers: list[str]
    not_question: list[str] = Field(default_factory=list)
    question_words: list[str]


class WhatIf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conditions: list[str]
    tails: list[str]


class CueFile(BaseModel):
    """The schema of ``actions/cues.yml``."""

    model_config = ConfigDict(extra="forbid")
    aspects: dict[Aspect, dict[int, list[str]]]
    not_aspects: list[str] = Field(default_factory=list)
    what_if: WhatIf | None = None
    yes_no: YesNo
    affirm: list[str]
    affirm_tail: list[str] = Field(default_factory=list)
    deny: list[str]
    particles: list[str]
    asides: list[str] = Field(default_factory=list)
    person: list[str]
    greeting: list[str]
    about_bot: list[str] = Field(default_factory=list)
    thanks: list[str]
    goodbye: list[str]
    feedback_positive: list[str]
    feedback_negative: list[str]
    feedback_emoji_positive: list[str]
    feedback_emoji_negative: list[str]
    procedure_words: list[str]
    switch: list[str]
    not_switch: list[str] = Field(default_factory=list)
    switch_lead: list[str] = Field(default_factory=list)
    this_procedure: list[str] = Field(default_factory=list)
    next_step: list[str] = Field(default_factory=list)
    ordinals: dict[int, list[str]] = Field(default_factory=dict)
    foreign: list[str] = Field(default_factory=list)
    levels: dict[Literal["commune", "province", "ministry"], list[str]] = Field(default_factory=dict)

    @field_validator("aspects")
    @classmethod
    def _weights(cls, value: dict[str, dict[int, list[str]]]) -> dict[str, dict[int, list[str]]]:
        for aspect, by_weight in value.items():
            bad = [w for w in by_weight if not 1 <= w <= 3]
            if bad:
                raise ValueError(f"{aspect}: weights must be 1, 2 or 3, not {bad}")
        return value


class _Matcher:
    """Whole-word matching of a list of folded phrases, longest first."""

    def __init__(self, phrases: list[str]) -> None:
        self.phrases = sorted(set(_phrases(phrases)), key=lambda p: (-len(p), p))
        self._whole = frozenset(self.phrases)
        body = "|".join(re.escape(p) for p in self.phrases) or r"(?!x)x"
        self.pattern = re.compile(rf"(?<!\S)(?:{body})(?!\S)")

    def find(self, folded: str) -> list[re.Match[str]]:
        return list(self.pattern.finditer(folded))

    def any(self, folded: str) -> bool:
        return self.pattern.search(folded) is not None

    def whole(self, folded: str) -> bool:
        return folded in self._whole


@dataclass(frozen=True)
class Cues:
    """The compiled cue file."""

    aspect_of: dict[str, tuple[str, int]]
    aspects: _Matcher
    not_aspects: _Matcher
    what_if_conditions: _Matcher
    what_if_tails: _Matcher
    openers: _Matcher
    closers: list[str]
    standalone: tuple[str, ...]
    not_question: _Matcher
    question_words: _Matcher
    affirm: _Matcher
    affirm_tail: frozenset[str]
    deny: _Matcher
    particles: set[str]
    asides: _Matcher
    person: _Matcher
    greeting: _Matcher
    about_bot: _Matcher
    thanks: _Matcher
    goodbye: _Matcher
    feedback_positive: _Matcher
    feedback_negative: _Matcher
    emoji_positive: tuple[str, ...]
    emoji_negative: tuple[str, ...]
    procedure_words: _Matcher
    switch: _Matcher
    not_switch: _Matcher
    switch_lead: tuple[str, ...]
    this_procedure: _Matcher
    next_step: _Matcher
    ordinals: dict[str, int]
    foreign: _Matcher
    levels: dict[str, _Matcher]

    @classmethod
    def from_file(cls, data: CueFile) -> Cues:
        aspect_of: dict[str, tuple[str, int]] = {}
        for aspect, by_weight in data.aspects.items():
            for weight, phrases in sorted(by_weight.items()):
                for phrase in _phrases(phrases):
                    if aspect_of.get(phrase, ("", 0))[1] < weight:
                        aspect_of[phrase] = (aspect, weight)
        return cls(
            aspect_of=aspect_of,
            aspects=_Matcher(list(aspect_of)),
            not_aspects=_Matcher(data.not_aspects),
            what_if_conditions=_Matcher(data.what_if.conditions if data.what_if else []),
            what_if_tails=_Matcher(data.what_if.tails if data.what_if else []),
            openers=_Matcher(data.yes_no.openers),
            closers=sorted(_phrases(data.yes_no.closers), key=len, reverse=True),
            not_question=_Matcher(data.yes_no.not_question),
            standalone=tuple(_phrases(data.yes_no.standalone)),
            question_words=_Matcher(data.yes_no.question_words),
            affirm=_Matcher(data.affirm),
            affirm_tail=frozenset(w for phrase in _phrases(data.affirm_tail) for w in phrase.split()),
            deny=_Matcher(data.deny),
            particles=set(_phrases(data.particles)),
            asides=_Matcher(data.asides),
            person=_Matcher(data.person),
            greeting=_Matcher(data.greeting),
            about_bot=_Matcher(data.about_bot),
            thanks=_Matcher(data.thanks),
            goodbye=_Matcher(data.goodbye),
            feedback_positive=_Matcher(data.feedback_positive),
            feedback_negative=_Matcher(data.feedback_negative),
            emoji_positive=tuple(data.feedback_emoji_positive),
            emoji_negative=tuple(data.feedback_emoji_negative),
            procedure_words=_Matcher(data.procedure_words),
            switch=_Matcher(data.switch),
            not_switch=_Matcher(data.not_switch),
            switch_lead=tuple(sorted(_phrases(data.switch_lead), key=len, reverse=True)),
            this_procedure=_Matcher(data.this_procedure),
            next_step=_Matcher(data.next_step),
            ordinals={phrase: n for n, phrases in data.ordinals.items() for phrase in _phrases(phrases)},
            foreign=_Matcher(data.foreign),
            levels={name: _Matcher(phrases) for name, phrases in data.levels.items()},
        )


def load_cues(path: Path = CUES_FILE) -> Cues:
    """Read and validate a cue file (errors name the field)."""
    return Cues.from_file(CueFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))))


@lru_cache(maxsize=1)
def default_cues() -> Cues:
    return load_cues()


@dataclass(frozen=True)
class Reading:
    """What one message says, read from its words."""

    folded: str
    aspects: list[tuple[str, float, int]] = field(default_factory=list)  # (aspect, weight, position)
    yes_no: bool = False
    tag_question: bool = False  # "... ở văn phòng đăng ký đất đai phải không": checks a fact
    yes_no_what: bool = False  # "có cần mang giấy tờ gì không": asks for a list
    affirm: bool = False  # the whole message is a clear yes
    deny: bool = False  # ... a clear no
    person: bool = False  # asks for a person
    greeting: bool = False
    about_bot: bool = False  # "bạn là ai", "bạn giúp được gì"
    thanks: bool = False
    goodbye: bool = False
    feedback: bool | None = None  # True: the answer helped, False: it did not
    procedure_words: bool = False  # words that only a procedure question uses
    switch: bool = False  # "thế còn ... thì sao"
    this_procedure: bool = False  # "thủ tục này": the current procedure
    next_step: bool = False  # "... xong rồi thì ...": maybe the next procedure
    junk: bool = False  # nothing readable
    ordinal: int | None = None  # "cái thứ 2": the option picked by its place in the list
    foreign: bool = False  # a foreigner is involved ("chồng mình người Hàn")
    age: int | None = None  # an age the message gives ("con 10 tuổi", "cháu 15t")
    level: str | None = None  # the level it names ("nộp ở tỉnh": province)
    residual: str = ""  # the folded words left once the cue phrases are taken out
    content: str = ""  # the residual without the asides to the bot ("cho em hỏi", "dạ", "ạ") anywhere in it

    @property
    def aspect(self) -> str | None:
        """The aspect asked, or None when no phrase names one.

        A yes/no question is about eligibility ("có được ... không", "có bắt buộc ...
        không") unless it plainly names the fee, the time, the place, online, the result or
        the legal basis ("có mất tiền không", "làm online được không").
        """
        if self.yes_no:
            own = [a for a in self.aspects if a[1] >= YES_NO_OWN_ASPECTS.get(a[0], 99)
                   or (self.tag_question and a[1] >= STRONG)
                   or (a[0] == "documents" and a[1] >= (STRONG if self.yes_no_what else 3))]
            return _best(own) if own else "eligibility"
        if not self.aspects:
            return None
        named = {a for a, w, _ in self.aspects}
        # (a phrase with a question word weighs x.5: "như thế nào", "ntn")
        if "online" in named and any(a == "steps" and w != int(w) for a, w, _ in self.aspects):
            return "steps"  # "tạo tài khoản trên VNeID như thế nào": how to do it online
        return _best(self.aspects)

    @property
    def plain_aspects(self) -> list[str]:
        """Every aspect named plainly, in the order of the message (at most once each)."""
        seen: list[str] = []
        for aspect, weight, _ in sorted(self.aspects, key=lambda a: a[2]):
            if weight >= STRONG and aspect not in seen:
                seen.append(aspect)
        return seen

    @property
    def social(self) -> bool:
        return self.greeting or self.thanks or self.goodbye or self.feedback is not None


def _best(aspects: list[tuple[str, float, int]]) -> str:
    # Between phrases of the same weight, one with a question word wins ("nghị định nào quy
    # định mức lệ phí"), then the later one: Vietnamese puts the question word last
    # ("điều kiện ... quy định ở luật nào", "nộp lệ phí trước bạ ở đâu").
    return min(aspects, key=lambda a: (-a[1], -a[2]))[0]


def _lead(text: str, phrases: Sequence[str]) -> str | None:
    """The first of ``phrases`` the text starts with (as whole words), or None."""
    return next((p for p in phrases if text == p or text.startswith(p + " ")), None)


def _ends(text: str, phrases: Sequence[str]) -> bool:
    """Whether the text ends with one of ``phrases`` (as whole words)."""
    return any(text == p or text.endswith(" " + p) for p in phrases)


def _strip_particles(folded: str, particles: set[str]) -> str:
    words = folded.split()
    while words and words[-1] in particles:
        words.pop()
    while words and words[0] in particles:
        words.pop(0)
    return " ".join(words)


def _is_yes_no(folded: str, cues: Cues) -> bool:
    """"Có ... không", "... được không", also as the first half of "... được không, hay ..."."""
    core = _strip_particles(folded, cues.particles)
    if not core or cues.question_words.any(cues.not_question.pattern.sub(" ", core)):
        return False
    for part in [core, *core.split(" hay ")[:-1]]:
        part = _strip_particles(part.strip(), cues.particles)
        closes = _ends(part, cues.closers) or _ends(folded, cues.closers)
        if closes and (cues.openers.any(part) or part.endswith("duoc khong") or part.endswith("duoc")):
            return True
        if _ends(part, cues.standalone):
            return True
    return False


def _is_switch(folded: str, cues: Cues) -> bool:
    """"Thế còn tạm trú thì sao", "ok, còn đổi bằng lái...": the message starts with "còn"."""
    text = folded
    while lead := next((p for p in cues.switch_lead if text.startswith(p + " ")), None):
        text = text[len(lead) + 1:]
    return bool(_lead(text, cues.switch.phrases)) and not _lead(text, cues.not_switch.phrases)


TAGS = ("phai khong", "dung khong", "phai ko", "ha", "dung chu")


def _is_tag_question(core: str, cues: Cues) -> bool:
    """A question checking a fact ("... ở văn phòng đăng ký đất đai phải không") or choosing
    between two ("ở xã nơi đăng ký hay nơi đang ở cũng được"), not asking leave."""
    if any(core.endswith(t) for t in TAGS):
        return True
    first, _, rest = core.partition(" hay ")
    return bool(rest) and not _is_yes_no(first, cues)


def _is_affirm(core: str, cues: Cues) -> bool:
    """A clear yes: a yes phrase alone, or followed only by words like "chuyển giúp mình"."""
    if cues.affirm.whole(core):
        return True
    for phrase in cues.affirm.phrases:  # longest first
        if core.startswith(phrase + " "):
            return all(w in cues.affirm_tail for w in core[len(phrase) + 1:].split())
    return False


def _is_junk(text: str, folded: str) -> bool:
    if _EMOJI_ONLY.match(text):
        return True
    words = folded.split()
    return not any(_SYLLABLE.match(w) for w in words if not w.isdigit())


_AGE = re.compile(r"(?<!\S)(?<!duoi )(?<!tren )(?<!tu du )(?<!tu )(\d{1,3}) ?(?:tuoi|t)(?!\S)"
                  r"|(?<!\S)(?<!tu )(?:tron|du|dung) (\d{1,3})(?!\S)")
_BABY = re.compile(r"(?<!\S)(?:moi sinh|so sinh|vua sinh|em be|tre so sinh|thang tuoi)(?!\S)")


def _age(folded: str) -> int | None:
    """An age in years named in the message ("10 tuổi", "15t", "tròn 14"); 0 for a newborn."""
    match = _AGE.search(folded)
    if match:
        return int(match.group(1) or match.group(2))
    return 0 if _BABY.search(folded) else None


def read(text: str, cues: Cues | None = None) -> Reading:
    """Read one message (any typing style)."""
    cues = cues or default_cues()
    folded = " ".join(search_text(text).split())
    masked = cues.not_aspects.pattern.sub(lambda m: "_" * len(m.group(0)), folded)
    found = cues.aspects.find(masked)
    aspects = [(aspect, weight + (0.5 if cues.question_words.any(m.group(0)) else 0.0), m.start())
               for m in found for aspect, weight in [cues.aspect_of[m.group(0)]]]
    last_clause = " ".join(search_text(re.split(r"[,.;!?\n]", text.strip(" ,.;!?\n"))[-1]).split())
    for tail in cues.what_if_tails.find(last_clause):  # a condition in the same clause as "thì sao"
        if cues.what_if_conditions.any(last_clause[: tail.start()]):
            aspects.append(("eligibility", float(STRONG), len(folded)))
    core = _strip_particles(folded, cues.particles)
    emoji_pos = any(e in text for e in cues.emoji_positive)
    emoji_neg = any(e in text for e in cues.emoji_negative)
    negative = cues.feedback_negative.any(folded) or emoji_neg
    positive = not negative and (cues.feedback_positive.any(folded) or emoji_pos)
    social_spans = [m.span() for matcher in (cues.person, cues.greeting, cues.thanks, cues.goodbye, cues.about_bot,
                                             cues.feedback_positive, cues.feedback_negative)
                    for m in matcher.find(folded)]
    spans = [m.span() for m in found] + social_spans
    residual_chars = list(folded)
    for start, end in spans:
        residual_chars[start:end] = " " * (end - start)
    residual = _strip_particles(" ".join("".join(residual_chars).split()), cues.particles)
    lead = _lead(residual, cues.switch_lead)  # "ok bye", "vâng, ...": a leading yes names nothing
    if lead:
        residual = residual[len(lead):].strip()
    for closer in cues.closers:
        if residual == closer:
            residual = ""
        elif residual.endswith(" " + closer):
            residual = residual[: -len(closer) - 1]
    content = " ".join(w for w in cues.asides.pattern.sub(" ", residual).split() if w not in cues.particles)
    return Reading(
        folded=folded,
        aspects=aspects,
        yes_no=_is_yes_no(folded, cues),
        tag_question=_is_tag_question(core, cues),
        yes_no_what=bool(re.search(r"(?<!\S)gi (?:khong|ko|k|nua khong)(?!\S)", core)),
        affirm=_is_affirm(core, cues),
        deny=cues.deny.whole(core),
        person=cues.person.any(folded),
        greeting=cues.greeting.any(folded) and not cues.goodbye.any(folded),
        about_bot=cues.about_bot.any(folded),
        thanks=cues.thanks.any(folded),
        goodbye=cues.goodbye.any(folded),
        feedback=False if negative else (True if positive else None),
        procedure_words=cues.procedure_words.any(folded),
        switch=_is_switch(folded, cues),
        this_procedure=cues.this_procedure.any(folded),
        next_step=cues.next_step.any(folded),
        junk=_is_junk(text, folded) and not (emoji_pos or emoji_neg),
        ordinal=cues.ordinals.get(core),
        foreign=cues.foreign.any(folded),
        age=_age(folded),
        level=next((name for name, matcher in cues.levels.items() if matcher.any(folded)), None),
        residual=residual,
        content=content,
    )
