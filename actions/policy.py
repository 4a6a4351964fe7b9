"""The dialogue policy: what the bot does with one message, as a pure function.

:func:`decide` takes the message (its text, the NLU's reading, a button's payload), the
conversation's state (the current procedure, what the bot asked last) and a search
function, and returns a :class:`Decision`: the outcome of the turn, the procedure(s) it is
about, the aspect, the replies by response name and the next state. It never touches the
network or a database; :mod:`actions.turn` carries the decision out.

The order of the rules is the policy:

1. a button names its procedure; a request for a person always opens a ticket;
2. a clear yes / no answers what the bot asked last (a clerk, a rating);
3. a message that names a procedure is answered about it, whatever the NLU intent says
   (out of scope, chitchat, thanks...): "cảm ơn, còn làm hộ chiếu thì sao" is a question;
4. a message that names none but asks something ("có mất tiền ko", "bao lâu thì có")
   follows up on the procedure of the conversation, or the one the bot proposed last;
5. greetings, thanks, goodbyes, ratings and small talk get their replies;
6. what looks like a procedure question the bot has no guide for is "not covered" (and a
   clerk is offered); anything else is asked again, then a clerk is offered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

from actions.cues import Reading, read
from actions.resolve import CANDIDATE_FLOOR, NOTHING, Found, HitLike, find
from actions.variants import adjust, age_fits, age_sibling
from guides.aspects import ASPECT_OF_INTENT, NOT_ABOUT_A_PROCEDURE

Outcome = Literal["answer", "clarify", "not_covered", "rephrase", "offer_handoff", "handoff", "greeting",
                  "goodbye", "thanks", "feedback", "chitchat", "error"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
# Outcomes counted as "not understood" in the console's statistics.
NOT_UNDERSTOOD = ("rephrase", "offer_handoff", "not_covered", "clarify")
# The intents that say a message is not about a procedure (guides.aspects) decide only when
# the search has weak candidates, never against a confident one.

# How sure the NLU must be for its intent to count when the words say nothing.
INTENT_CONFIDENCE = 0.6
# ... and for the only (weak) candidate of a procedure question to be answered, not suggested.
WEAK_INTENT_CONFIDENCE = 0.5
# A request for a person read by the NLU alone (no phrase from the cue file) must be this sure.
PERSON_CONFIDENCE = 0.85
MAX_ANSWERED_ASPECTS = 2
# A message whose only word beyond the aspect is one syllable names a procedure only when
# that syllable is at least this share of the procedure's name ("thuế" of "Khai thuế ...").
ONE_WORD_SHARE = 0.5

Search = Callable[[str], Sequence[HitLike]]


@dataclass(frozen=True)
class Thresholds:
    answer: float = 0.5
    ambiguity_margin: float = 0.04


@dataclass(frozen=True)
class State:
    """What the conversation remembers between turns (slots)."""

    current: str | None = None  # the procedure the conversation is about
    aspect: str | None = None  # the aspect answered last
    options: tuple[str, ...] = ()  # the procedures the bot offered to choose from
    pending: str = ""  # the question that made the bot offer them
    awaiting: str | None = None  # "human": a clerk was offered; "feedback": a rating was asked
    misses: int = 0  # turns in a row not understood
    rated: tuple[str, ...] = ()  # procedures whose answer was rated or asked to be rated


@dataclass(frozen=True)
class Message:
    text: str
    intent: str | None = None
    confidence: float = 0.0
    chosen: str | None = None  # a procedure code from a button's payload
    places: tuple[str, ...] = ()  # place names the NLU found (as typed)


@dataclass(frozen=True)
class Reply:
    """One message to send: a response of the domain, or an answer from a guide."""

    response: str
    code: str | None = None  # for answers: the guide
    aspect: str | None = None  # for answers: the aspect
    options: tuple[tuple[str, str], ...] = ()  # for a choice: (code, title)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    replies: tuple[Reply, ...]
    state: State
    codes: tuple[str, ...] = ()
    aspect: str | None = None
    handoff: str | None = None  # open a ticket for this reason ("request", "fallback")
    feedback: bool | None = None  # store this rating of the current procedure

    @property
    def record(self) -> dict[str, Any]:
        """The turn's record kept in the conversation (slot ``turn``)."""
        return {"outcome": self.outcome, "codes": list(self.codes), "aspect": self.aspect}


@dataclass(frozen=True)
class Context:
    """What a decision draws on besides the message and the state."""

    search: Search
    known_codes: frozenset[str]
    thresholds: Thresholds = field(default_factory=Thresholds)
    # Folded words the guides use: what a follow-up may talk about without naming a procedure.
    vocabulary: frozenset[str] = frozenset()
    # naming(code, current, words): how the words name procedure ``code`` rather than
    # ``current``: (the IDF weight of the words of code's names that current's guide never
    # uses, the share of code's best-covered name they say). See KnowledgeState.naming.
    naming: Callable[[str, str, str], tuple[float, float]] = lambda code, current, text: (0.0, 0.0)
    titles: dict[str, str] = field(default_factory=dict)  # code -> title
    levels: dict[str, tuple[str, ...]] = field(default_factory=dict)  # code -> levels that handle it
    related: dict[str, frozenset[str]] = field(default_factory=dict)  # code -> its related guides (both ways)


# In a conversation about a procedure, a candidate its guide lists as related takes the
# first place from an unrelated one it trails by less than this ("còn lệ phí trước bạ thì
# sao" after the income tax on a house sale is the house's registration fee, not a car's).
RELATED_MARGIN = 0.4


def prefer_related(found: Found, current: str | None, context: Context) -> Found:
    """``found`` with the best candidate related to ``current`` first, when it is close."""
    top = found.code or (found.option_codes[0] if found.options else None)
    related = context.related.get(current or "", frozenset())
    if top is None or not related or top == current or top in related:
        return found
    score = found.scores.get(top, found.score)
    close = [(s, c) for c, s in found.scores.items() if c in related and s >= CANDIDATE_FLOOR and score - s < RELATED_MARGIN]
    if not close:
        return found
    code = max(close)[1]
    kind = "named" if found.kind == "ambiguous" or score >= context.thresholds.answer else found.kind
    title = context.titles.get(code, "")
    options = [(code, title), *((c, t) for c, t in found.options if c != code)]
    return Found(kind, code, score, options, {**found.scores, code: score})


def _fold_places(reading: Reading, places: Sequence[str]) -> str:
    """The residual words without the place names the NLU found."""
    from tthc_text import search_text  # noqa: PLC0415

    residual = f" {reading.residual} "
    for place in places:
        folded = " ".join(search_text(place).split())
        if folded:
            residual = residual.replace(f" {folded} ", " ")
    return " ".join(residual.split())


def _strip_places(text: str, places: Sequence[str]) -> str:
    for place in places:
        if place:
            text = text.replace(place, " ")
    return " ".join(text.split())


def locate(message: Message, reading: Reading, context: Context) -> Found:
    """The procedure the message names (or not).

    The message is searched as written first; when that finds nothing confident, without
    the words that only ask an aspect, then without the place names the NLU found (which
    are sometimes not places: "thành lập" is also a ward's name).
    """
    residual = reading.residual
    if not residual or not _fold_places(reading, message.places):
        return NOTHING
    t = context.thresholds
    queries = [message.text, residual, reading.content]
    if message.places:
        queries += [_strip_places(message.text, message.places), _fold_places(reading, message.places)]
    best: list[HitLike] = []
    for query in dict.fromkeys(q for q in queries if q.strip()):
        hits = adjust([h for h in context.search(query) if h.code in context.known_codes], age=reading.age,
                      foreign=reading.foreign, levels=context.levels, level=reading.level)
        if hits and (not best or hits[0].score > best[0].score):
            best = hits
        if best and best[0].score >= t.answer:
            break
    if len(residual.split()) == 1 and best and best[0].name_precision < ONE_WORD_SHARE:
        return NOTHING  # one word ("tiền", "làm") names a procedure only if it is much of a name
    return find(best, answer_threshold=t.answer, ambiguity_margin=t.ambiguity_margin)


def _aspects(reading: Reading, message: Message, state: State, switching: bool) -> list[str]:
    """The aspects to answer, the main one first."""
    main = reading.aspect
    if main is None and message.intent in ASPECT_OF_INTENT and message.confidence >= INTENT_CONFIDENCE:
        main = ASPECT_OF_INTENT[message.intent]
    if main is None or (switching and main == "steps" and not reading.plain_aspects):
        # "thế còn tạm trú thì sao": the same question about another procedure
        main = state.aspect if (switching and state.aspect) else (main or "general")
    strong = [a for a, w, _ in sorted(reading.aspects, key=lambda x: x[2]) if w >= 3 and a != main]
    extra = [a for i, a in enumerate(strong) if a not in strong[:i]]
    return [main, *extra][:MAX_ANSWERED_ASPECTS]


def _answer(code: str, aspects: list[str], state: State, *, ask_rating: bool = True) -> Decision:
    replies = [Reply(f"utter_answer_{a}", code=code, aspect=a) for a in aspects]
    rated = state.rated
    awaiting = None
    if ask_rating and code not in rated:
        replies.append(Reply("utter_ask_feedback"))
        rated = (*rated, code)
        awaiting = "feedback"
    new = State(current=code, aspect=aspects[0], awaiting=awaiting, rated=rated)
    return Decision("answer", tuple(replies), new, codes=(code,), aspect=aspects[0])


def _clarify(found: Found, aspect: str, message: Message, state: State) -> Decision:
    new = replace(state, options=tuple(found.option_codes), pending=message.text, awaiting=None, aspect=aspect)
    return Decision("clarify", (Reply("utter_ask_which", aspect=aspect, options=tuple(found.options)),), new,
                    codes=tuple(found.option_codes), aspect=aspect)


def _suggest(found: Found, aspect: str, message: Message, state: State) -> Decision:
    """One weak candidate: not sure enough to answer (most such messages are about something
    else), so say so, offer it as a button, and a clerk; "đúng rồi" takes it."""
    new = replace(state, options=tuple(found.option_codes), pending=message.text, awaiting="human",
                  aspect=aspect, misses=state.misses + 1)
    return Decision("not_covered", (Reply("utter_not_sure", aspect=aspect, options=tuple(found.options)),), new,
                    codes=tuple(found.option_codes), aspect=aspect)


def _social(outcome: Outcome, response: str, state: State) -> Decision:
    return Decision(outcome, (Reply(response),), replace(state, awaiting=None, misses=0, options=(), pending=""))


def _out_of_scope(state: State) -> Decision:
    return Decision("not_covered", (Reply("utter_out_of_scope"),), replace(state, awaiting=None, options=(), pending=""))


def _missed(state: State, *, covered: bool) -> Decision:
    """Not understood: ask again the first time, then offer a clerk; a procedure the bot has
    no guide for is said so, with the offer of a clerk."""
    misses = state.misses + 1
    base = replace(state, misses=misses, options=(), pending="")
    if not covered:
        return Decision("not_covered", (Reply("utter_not_covered"),), replace(base, awaiting="human"))
    if misses >= 2:
        return Decision("offer_handoff", (Reply("utter_offer_human"),), replace(base, awaiting="human"))
    return Decision("rephrase", (Reply("utter_ask_rephrase"),), replace(base, awaiting=None))


# A follow-up names another procedure when it says words of that one's names that the
# current procedure's guide never uses, weighing at least this much (IDF; a word only one
# guide uses weighs about 4.5), and at least this share of its name.
NAMES_OTHER = 10.0
NAMES_SHARE = 0.4


# ... or says this share of its name, the search being sure of it and not of the current one.
NAMES_CLEARLY = 0.6
SURE, UNLIKELY = 0.9, 0.05


def _names_another(code: str, current: str, reading: Reading, message: Message, context: Context,
                   found: Found = NOTHING) -> bool:
    """Whether an aspect question in a conversation about ``current`` names ``code`` with
    words of its own ("mẹ tôi có được nhận tiền tử tuất không" after a death registration),
    rather than sharing words with it ("phí làm lại bao nhiêu" about a lost ID card is not
    "cấp lại giấy phép lái xe": the ID card's guide says "làm lại" too)."""
    novelty, share = context.naming(code, current, _fold_places(reading, message.places))
    if novelty >= NAMES_OTHER and share >= NAMES_SHARE:
        return True
    sure = found.scores.get(code, 0.0) >= SURE and found.scores.get(current, 0.0) < UNLIKELY
    return sure and share >= NAMES_CLEARLY


def _foreign(residual: str, vocabulary: frozenset[str]) -> int:
    """How many words of a follow-up no guide uses ("thời tiết", "bóng đá")."""
    if not vocabulary:
        return 0
    return sum(1 for w in residual.split() if w not in vocabulary and not w.isdigit())


def _choice(reading: Reading, message: Message, state: State, context: Context) -> str | None:
    """The option a citizen picked after a clarification, by its place or its words."""
    if not state.options:
        return None
    if reading.ordinal and reading.ordinal <= len(state.options):
        return state.options[reading.ordinal - 1]
    if reading.aspects or reading.yes_no:
        return None
    hits = adjust([h for h in context.search(f"{state.pending} {message.text}") if h.code in state.options],
                  age=reading.age, foreign=reading.foreign, levels=context.levels, level=reading.level)
    if not hits:
        return None
    if reading.age is not None:  # "cháu 16 tuổi": the options whose age bounds fit
        fitting = [code for code in state.options if age_fits(context.titles.get(code, ""), reading.age)]
        if len(fitting) == 1:
            return fitting[0]
    best = hits[0]
    second = hits[1].score if len(hits) > 1 else 0.0
    return best.code if best.score - second >= context.thresholds.ambiguity_margin else None


def decide(message: Message, state: State, context: Context) -> Decision:
    """What to do with one message (see the module's docstring for the order)."""
    text = message.text.strip()
    intent = message.intent or ""
    sure = message.confidence >= INTENT_CONFIDENCE

    # 1. buttons
    if text.startswith("/"):
        if message.chosen and message.chosen in context.known_codes:
            aspect = ASPECT_OF_INTENT.get(intent, state.aspect or "general")
            return _answer(message.chosen, [aspect], state)
        if intent == "affirm":
            return _yes(state)
        if intent == "deny":
            return _no(state)
        if intent in ("feedback_positive", "feedback_negative"):
            return _rated(intent == "feedback_positive", state)
        if intent == "request_human":
            return _handoff("request", state)
        text = ""  # another payload: read as an empty message below

    reading = read(text)
    if reading.person:
        return _handoff("request", state)

    # 2. a clear yes / no to what the bot asked last
    if len(state.options) == 1 and reading.affirm:  # "đúng rồi": the one procedure suggested
        return _answer(state.options[0], [state.aspect or "general"], state)
    if state.awaiting == "human":
        if reading.affirm:
            return _handoff("fallback", state)
        if reading.deny:
            return _social("chitchat", "utter_no_handoff", state)
    if state.awaiting == "feedback" and (reading.affirm or reading.deny) and not (
            reading.thanks and reading.feedback is None):  # "ok cảm ơn" thanks, it does not rate
        return _rated(reading.affirm, state)
    if reading.feedback is not None and state.current and not reading.aspects and not reading.yes_no:
        return _rated(reading.feedback, state)

    # 3. a message naming a procedure
    picked = _choice(reading, message, state, context)
    if picked:
        return _answer(picked, [state.aspect or "general"], state)
    follow_up = state.current or (state.options[0] if state.options else None)
    found = prefer_related(locate(message, reading, context), follow_up, context) if text else NOTHING
    older = age_sibling(follow_up, reading.age, context.titles) if follow_up and reading.age is not None else None
    if older:  # "cháu 16 tuổi" in a conversation about the card for under-14s
        follow_up = older
        if found.kind != "named":
            return _answer(older, _aspects(reading, message, replace(state, current=older), True), state)
    switching = reading.switch
    foreign = _foreign(reading.residual, context.vocabulary)
    asks = (bool(reading.plain_aspects) or reading.yes_no or (intent in ASPECT_OF_INTENT and sure)
            or (bool(reading.aspects) and foreign == 0))

    # "... xong thì" may ask for the next procedure, when the message says part of its name
    next_one = (reading.next_step and found.score >= context.thresholds.answer and found.code is not None
                and context.naming(found.code, follow_up or "", _fold_places(reading, message.places))[1]
                >= NAMES_SHARE)
    stays = bool(follow_up) and asks and not switching and not next_one  # an aspect question keeps its procedure ...
    if found.kind == "named" and found.code:
        if reading.about_bot and context.naming(found.code, "", reading.residual)[1] < ONE_WORD_SHARE:
            return _social("chitchat", "utter_chitchat", state)  # "bạn có phải công an không"
        keeps = stays and found.code != follow_up and (  # ... unless it names another with words of its own
            reading.this_procedure or not _names_another(found.code, follow_up or "", reading, message, context,
                                                         found))
        if not keeps:
            return _answer(found.code, _aspects(reading, message, state, switching), state)
    if found.kind == "ambiguous":
        if follow_up and (follow_up in found.option_codes or (stays and not any(
                _names_another(code, follow_up, reading, message, context, found) for code in found.option_codes))):
            return _answer(follow_up, _aspects(reading, message, state, False), state)
        return _clarify(found, _aspects(reading, message, state, switching)[0], message, state)
    not_procedure = (intent in NOT_ABOUT_A_PROCEDURE and sure and not asks) or reading.about_bot
    if found.kind == "weak" and found.code and not not_procedure:
        # candidates only: the conversation's procedure first, then a choice of ≥ 2, then the one
        # candidate of what the NLU reads as a procedure question; else it is only suggested
        if follow_up and (follow_up in found.option_codes or (
                stays and not _names_another(found.code, follow_up, reading, message, context))):
            return _answer(follow_up, _aspects(reading, message, state, False), state)
        if len(found.options) > 1:
            return _clarify(found, _aspects(reading, message, state, switching)[0], message, state)
        if intent in ASPECT_OF_INTENT and message.confidence >= WEAK_INTENT_CONFIDENCE:
            # the only candidate of a message the NLU reads as a procedure question
            return _answer(found.code, _aspects(reading, message, state, switching), state)
        return _suggest(found, _aspects(reading, message, state, switching)[0], message, state)

    # 4. a follow-up about the procedure of the conversation
    off_topic = intent in ("out_of_scope", "chitchat") and sure and foreign > 0
    if follow_up and asks and not reading.social and not reading.about_bot and not off_topic:
        return _answer(follow_up, _aspects(reading, message, state, False), state)

    # 5. social messages
    if reading.feedback is not None and state.current:
        return _rated(reading.feedback, state)
    if reading.about_bot:
        return _social("chitchat", "utter_chitchat", state)
    if reading.thanks or (intent == "thank" and sure and not asks):
        return _social("thanks", "utter_thank", state)
    if reading.goodbye or (intent == "goodbye" and sure and not asks and not reading.greeting):
        return _social("goodbye", "utter_goodbye", state)
    if reading.greeting or (intent == "greet" and sure and not asks):
        return _social("greeting", "utter_greet", state)
    if not reading.junk and not asks and sure:
        if intent == "chitchat":
            return _social("chitchat", "utter_chitchat", state)
        if intent == "request_human" and message.confidence >= PERSON_CONFIDENCE:
            return _handoff("request", state)
        if intent in ("affirm", "deny") and (reading.affirm or reading.deny):
            return _social("chitchat", "utter_ack", state)
        if intent == "out_of_scope" and not reading.procedure_words:
            return _out_of_scope(state)

    # 6. not understood; what the NLU is sure is out of scope, with no procedure word and not
    # one candidate, is declined as such ("hôm nay thời tiết thế nào": guides say "thời" and
    # "tiết", so its words are not foreign, but it asks about nothing the bot does)
    if (intent == "out_of_scope" and sure and found.kind == "none" and not follow_up
            and not reading.procedure_words and not reading.junk):
        return _out_of_scope(state)
    if reading.junk or not text:
        return _missed(state, covered=True)
    if reading.procedure_words or asks:
        return _missed(state, covered=False)
    return _missed(state, covered=True)


def _yes(state: State) -> Decision:
    if state.awaiting == "human":
        return _handoff("fallback", state)
    if state.awaiting == "feedback":
        return _rated(True, state)
    return _social("chitchat", "utter_ack", state)


def _no(state: State) -> Decision:
    if state.awaiting == "feedback":
        return _rated(False, state)
    if state.awaiting == "human":
        return _social("chitchat", "utter_no_handoff", state)
    return _social("chitchat", "utter_ack", state)


def _rated(helpful: bool, state: State) -> Decision:
    rated = state.rated if not state.current or state.current in state.rated else (*state.rated, state.current)
    new = replace(state, awaiting=None, rated=rated, misses=0)
    response = "utter_feedback_positive" if helpful else "utter_feedback_negative"
    codes = (state.current,) if state.current else ()
    return Decision("feedback", (Reply(response),), new, codes=codes, feedback=helpful)


def _handoff(reason: str, state: State) -> Decision:
    new = replace(state, awaiting=None, misses=0, options=(), pending="")
    codes = (state.current,) if state.current else ()
    return Decision("handoff", (Reply("utter_handoff_opened"),), new, codes=codes, handoff=reason)
