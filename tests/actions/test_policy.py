"""The dialogue policy on the session's small real index: each behaviour a citizen met
on the first version (issue: conversations that answer) as a turn or two."""

from __future__ import annotations

from typing import Any

import pytest

from actions.knowledge import Knowledge
from actions.policy import Context, Decision, Message, State, Thresholds, decide
from tests.small_index import (
    CAN_CUOC_14,
    CAN_CUOC_DUOI_14,
    DOI_GPLX,
    HO_CHIEU,
    KET_HON,
    KHAI_SINH,
    KHAI_TU,
    TAM_TRU,
    THUONG_TRU,
    SmallIndex,
)
from tthc_settings import Settings


@pytest.fixture(scope="module")
def context(small_index: SmallIndex) -> Context:
    state = Knowledge(Settings(_env_file=None, index_dir=small_index.index_dir,  # type: ignore[call-arg]
                               procedures_dir=small_index.procedures_dir)).current()
    return Context(search=lambda text: state.search(text, k=5), known_codes=state.codes,
                   thresholds=Thresholds(0.5, 0.04), vocabulary=state.vocabulary, naming=state.naming,
                   titles={code: g.title for code, g in state.guides.items()})


def say(context: Context, text: str, state: State | None = None, intent: str = "ask_procedure",
        confidence: float = 0.9, **message: Any) -> Decision:
    return decide(Message(text, intent, confidence, **message), state or State(), context)


def test_a_clear_question_is_answered_not_clarified_with_one_option(context: Context) -> None:
    for text, code in (
        ("con mình mới sinh tuần trước, muốn làm giấy khai sinh thì cần mang gì", KHAI_SINH),
        ("e mun lm cccd cho con 10t thi lm sao a", CAN_CUOC_DUOI_14),
        ("bố tôi mới mất, đăng ký khai tử thế nào", KHAI_TU),
        ("dang ky tam tru can giay to gi", TAM_TRU),
    ):
        d = say(context, text)
        assert (d.outcome, d.codes) == ("answer", (code,)), text
    assert say(context, "dang ky tam tru can giay to gi").aspect == "documents"
    assert say(context, "e mun lm cccd cho con 10t thi lm sao a").aspect == "steps"


def test_no_clarification_ever_offers_a_single_option(context: Context) -> None:
    for text in ("làm giấy tờ", "thủ tục", "hỏi chút", "đăng ký", "xin giấy phép bán rượu"):
        d = say(context, text)
        assert d.outcome != "clarify" or len(d.codes) >= 2, (text, d)


def test_an_intent_never_overrides_a_confident_procedure(context: Context) -> None:
    for intent in ("out_of_scope", "chitchat", "feedback_negative", "request_human", "thank"):
        d = say(context, "mở quán cà phê nhỏ thì cần đăng ký hộ kinh doanh không", intent=intent, confidence=0.99)
        assert (d.outcome, d.aspect) == ("answer", "eligibility"), intent
        assert d.handoff is None


def test_a_pre_2025_district_a_procedure_and_where(context: Context) -> None:
    text = "tôi ở quận Thanh Khê Đà Nẵng, muốn đăng ký thường trú thì nộp hồ sơ ở đâu"
    d = say(context, text, places=("quận Thanh Khê", "Đà Nẵng"))
    assert (d.outcome, d.codes, d.aspect) == ("answer", (THUONG_TRU,), "place")
    # a place the NLU got wrong ("thành lập" is also a ward's name) does not hide the procedure
    d = say(context, "thủ tục đăng ký hộ kinh doanh", places=("hộ kinh doanh",))
    assert d.outcome == "answer"


def test_follow_ups_continue_with_the_procedure(context: Context) -> None:
    state = say(context, "đăng ký kết hôn cần giấy tờ gì").state
    for text, aspect in (("có mất tiền ko", "fee"), ("bao lâu thì có", "time"), ("phi bn", "fee"),
                         ("lam online dc khong", "online"), ("bao lâu thì nhận được tiền", "time"),
                         ("có phải cả hai cùng đến không", "eligibility")):
        d = say(context, text, state, intent="affirm", confidence=0.8)  # whatever the NLU thought
        assert (d.outcome, d.codes, d.aspect) == ("answer", (KET_HON,), aspect), text


def test_follow_ups_after_a_clarification_take_the_proposed_procedure(context: Context) -> None:
    state = State(options=(CAN_CUOC_14, CAN_CUOC_DUOI_14), pending="làm căn cước cho con", aspect="general")
    d = say(context, "có mất tiền ko", state)
    assert (d.outcome, d.codes, d.aspect) == ("answer", (CAN_CUOC_14,), "fee")
    d = say(context, "cái thứ 2", state)
    assert d.codes == (CAN_CUOC_DUOI_14,)
    d = say(context, "cháu 16 tuổi", state)
    assert d.codes == (CAN_CUOC_14,)


def test_switching_to_another_procedure(context: Context) -> None:
    state = say(context, "đăng ký kết hôn cần giấy tờ gì").state
    d = say(context, "thế còn đăng ký tạm trú thì sao", state)
    assert (d.codes, d.aspect) == ((TAM_TRU,), "documents")  # the same question about another one
    d = say(context, "làm hộ chiếu ở đâu", state)
    assert (d.codes, d.aspect) == ((HO_CHIEU,), "place")


def test_an_age_that_rules_out_the_current_card_moves_to_its_sibling(context: Context) -> None:
    state = State(current=CAN_CUOC_DUOI_14, aspect="documents")
    d = say(context, "cháu 16 tuổi rồi", state)
    assert (d.outcome, d.codes) == ("answer", (CAN_CUOC_14,))


def test_only_a_clear_yes_opens_a_ticket_after_the_offer(context: Context) -> None:
    offered = State(awaiting="human", misses=2)
    for text in ("?????", "asdfghjkl", "có mất tiền không"):
        d = say(context, text, offered, intent="affirm", confidence=0.95)
        assert d.handoff is None and d.outcome != "handoff", text
    d = say(context, "có", offered, intent="affirm")
    assert (d.outcome, d.handoff) == ("handoff", "fallback")
    d = say(context, "không cần", offered, intent="deny")
    assert (d.outcome, d.handoff, d.state.awaiting) == ("chitchat", None, None)


def test_junk_is_asked_again_then_a_clerk_is_offered(context: Context) -> None:
    first = say(context, "?????", intent="nlu_fallback", confidence=0.2)
    assert (first.outcome, first.state.misses) == ("rephrase", 1)
    second = say(context, "asdfghjkl", first.state, intent="affirm", confidence=0.5)
    assert (second.outcome, second.state.awaiting) == ("offer_handoff", "human")


def test_an_explicit_request_for_a_person_always_opens_a_ticket(context: Context) -> None:
    d = say(context, "cho tôi gặp cán bộ hỏi về đăng ký kết hôn", State(current=KHAI_SINH))
    assert (d.outcome, d.handoff, d.codes) == ("handoff", "request", (KHAI_SINH,))


def test_procedures_without_a_guide_and_off_topic_messages(context: Context) -> None:
    d = say(context, "cách nấu phở bò", intent="out_of_scope", confidence=0.95)
    assert d.outcome == "not_covered" and d.replies[0].response == "utter_out_of_scope"
    d = say(context, "thủ tục cấp giấy phép khai thác khoáng sản", intent="ask_procedure", confidence=0.9)
    assert d.outcome == "not_covered" and d.state.awaiting == "human"


def test_social_turns_and_the_rating(context: Context) -> None:
    answered = say(context, "đăng ký kết hôn cần giấy tờ gì")
    assert [r.response for r in answered.replies][-1] == "utter_ask_feedback"
    assert answered.state.awaiting == "feedback" and answered.state.rated == (KET_HON,)
    again = say(context, "còn lệ phí", answered.state)
    assert "utter_ask_feedback" not in [r.response for r in again.replies]  # once per procedure
    assert say(context, "ok cảm ơn", answered.state, intent="thank").outcome == "thanks"
    rated = say(context, "có", answered.state, intent="affirm")
    assert (rated.outcome, rated.feedback) == ("feedback", True)
    assert say(context, "xin chào", intent="greet").outcome == "greeting"
    assert say(context, "tạm biệt", answered.state, intent="goodbye").outcome == "goodbye"
    assert say(context, "bạn là ai vậy", answered.state, intent="chitchat").outcome == "chitchat"


def test_buttons_name_their_procedure_and_aspect(context: Context) -> None:
    d = say(context, f'/ask_fee{{"procedure_code":"{DOI_GPLX}"}}', intent="ask_fee", chosen=DOI_GPLX)
    assert (d.outcome, d.codes, d.aspect) == ("answer", (DOI_GPLX,), "fee")
    d = say(context, "/feedback_negative", State(current=KET_HON), intent="feedback_negative")
    assert (d.outcome, d.feedback) == ("feedback", False)


def test_the_record_of_a_turn(context: Context) -> None:
    d = say(context, "dang ky ket hon o dau")
    assert d.record == {"outcome": "answer", "codes": [KET_HON], "aspect": "place"}


def test_one_weak_candidate_is_answered_for_a_procedure_question_else_suggested(context: Context) -> None:
    from retrieval.index import Hit  # noqa: PLC0415

    # a search that finds one weak candidate, whatever is asked
    one = Context(search=lambda text: [Hit(KET_HON, "dang-ky-ket-hon", "Đăng ký kết hôn", 0.3, 0.5, 0.2, 0.3)],
                  known_codes=context.known_codes, vocabulary=context.vocabulary, naming=context.naming,
                  titles=context.titles)
    asked = decide(Message("lấy vợ thì làm giấy gì", "ask_procedure", 0.8), State(), one)
    assert (asked.outcome, asked.codes) == ("answer", (KET_HON,))
    suggested = decide(Message("lấy vợ thì làm giấy gì", "out_of_scope", 0.4), State(), one)
    assert (suggested.outcome, suggested.codes) == ("not_covered", (KET_HON,))
    assert suggested.replies[0].response == "utter_not_sure" and suggested.state.options == (KET_HON,)
    # "đúng rồi": the one procedure suggested is answered
    yes = decide(Message("đúng rồi", "affirm", 0.9), suggested.state, one)
    assert (yes.outcome, yes.codes, yes.handoff) == ("answer", (KET_HON,), None)


def test_this_procedure_keeps_it(context: Context) -> None:
    state = say(context, "đăng ký kết hôn cần giấy tờ gì").state
    kept = say(context, "thủ tục này đăng ký tạm trú có cần không", state)
    assert kept.codes == (KET_HON,)


def test_a_question_about_the_bot_is_small_talk_even_if_the_search_finds_something(context: Context) -> None:
    from retrieval.index import Hit  # noqa: PLC0415

    # "công an" is in the guide's text: a confident hit, but the words say little of its name
    sure = Context(search=lambda text: [Hit(TAM_TRU, "dang-ky-tam-tru", "Đăng ký tạm trú", 0.9, 0.8, 0.1, 0.1)],
                   known_codes=context.known_codes, vocabulary=context.vocabulary, naming=context.naming,
                   titles=context.titles)
    d = decide(Message("bạn có phải công an không", "chitchat", 0.9), State(), sure)
    assert d.outcome == "chitchat"
    d = decide(Message("đăng ký tạm trú", "ask_procedure", 0.9), State(), sure)
    assert d.outcome == "answer"


def test_done_then_asks_the_next_procedure_only_when_it_says_its_name(context: Context) -> None:
    from retrieval.index import Hit  # noqa: PLC0415

    # a search sure of the passport guide, whatever is asked ("làm xong thì ..." may ask for the next procedure)
    passport = Context(search=lambda text: [Hit(HO_CHIEU, "cap-ho-chieu", "Cấp hộ chiếu phổ thông", 0.9, 0.7, 0.1, 0.1)],
                       known_codes=context.known_codes, vocabulary=context.vocabulary, naming=context.naming,
                       titles=context.titles)
    state = say(context, "đăng ký kết hôn cần giấy tờ gì").state
    # the words say nothing of the passport's name: the marriage registration's result
    kept = decide(Message("làm xong thì được cấp giấy gì", "ask_result", 0.9), state, passport)
    assert (kept.outcome, kept.codes, kept.aspect) == ("answer", (KET_HON,), "result")
    # ... they name it: the next procedure
    moved = decide(Message("đăng ký xong rồi thì làm hộ chiếu cần gì", "ask_documents", 0.9), state, passport)
    assert (moved.outcome, moved.codes) == ("answer", (HO_CHIEU,))


def test_a_follow_up_prefers_a_close_candidate_the_current_guide_lists_as_related(context: Context) -> None:
    from retrieval.index import Hit  # noqa: PLC0415

    # a search that ranks an unrelated guide first and a related one close behind
    hits = [Hit(HO_CHIEU, "cap-ho-chieu", "Cấp hộ chiếu phổ thông", 0.6, 0.7, 0.3, 0.3),
            Hit(KHAI_SINH, "dang-ky-khai-sinh", "Đăng ký khai sinh", 0.3, 0.6, 0.3, 0.3)]
    base = dict(search=lambda text: hits, known_codes=context.known_codes, vocabulary=context.vocabulary,
                naming=context.naming, titles=context.titles)
    related = Context(**base, related={KET_HON: frozenset({KHAI_SINH})})  # type: ignore[arg-type]
    unrelated = Context(**base, related={KET_HON: frozenset({KHAI_TU})})  # type: ignore[arg-type]
    state = State(current=KET_HON, aspect="documents")
    message = Message("thế còn cái kia thì sao", "ask_procedure", 0.9)
    assert decide(message, state, related).codes == (KHAI_SINH,)
    assert decide(message, state, unrelated).codes == (HO_CHIEU,)
    # ... not one that trails far behind, and not in a conversation about nothing yet
    far = [hits[0], Hit(KHAI_SINH, "dang-ky-khai-sinh", "Đăng ký khai sinh", 0.16, 0.5, 0.2, 0.2)]
    assert decide(message, state, Context(**{**base, "search": lambda text: far},  # type: ignore[arg-type]
                                          related={KET_HON: frozenset({KHAI_SINH})})).codes == (HO_CHIEU,)
    assert decide(message, State(), related).codes == (HO_CHIEU,)


def test_a_long_polite_message_is_searched_without_its_asides_too(context: Context) -> None:
    seen: list[str] = []

    def search(text: str) -> list[Any]:
        seen.append(text)
        return []

    quiet = Context(search=search, known_codes=context.known_codes, titles=context.titles)
    decide(Message("dạ e chào anh chị ạ, cho e hỏi đi đăng kí kết hôn có cần giấy khám sức khoẻ ko ạ",
                   "ask_procedure", 0.9), State(), quiet)
    assert "dang ki ket hon co kham suc khoe" in seen


def test_a_sure_out_of_scope_question_with_no_candidate_is_declined_as_such(context: Context) -> None:
    nothing = Context(search=lambda text: [], known_codes=context.known_codes, titles=context.titles)
    weather = decide(Message("hôm nay thời tiết thế nào", "out_of_scope", 0.95), State(), nothing)
    assert (weather.outcome, weather.replies[0].response) == ("not_covered", "utter_out_of_scope")
    # a procedure the bot has no guide for is said so, with the offer of a clerk
    missing = decide(Message("thủ tục cấp phép bay flycam thế nào", "out_of_scope", 0.95), State(), nothing)
    assert missing.replies[0].response == "utter_not_covered"
