"""``action_respond`` runs for real: a ``Tracker`` built from a dict, a
``CollectingDispatcher``, and the session's small index behind ``actions.knowledge``.
Handoff and feedback write to a temporary SQLite database brought up by Alembic. The
policy's rules are tested in test_policy.py; these tests check what the action sends and
records (slots, the turn record, tickets, ratings)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

import actions.knowledge as knowledge_module
from actions.knowledge import Knowledge
from actions.turn import ActionRespond
from tests.small_index import (
    CAN_CUOC_14,
    CAN_CUOC_DUOI_14,
    KET_HON,
    KHAI_SINH,
    TAM_TRU,
    SmallIndex,
    small_options,
)
from tthc_data.engine import engine_for, session_scope
from tthc_data.migrate import upgrade
from tthc_data.tables import Feedback, HandoffTicket
from tthc_settings import Settings
from tthc_text import search_text

SENDER = "citizen-1"
CHANNEL = "telegram"
LEGACY_ADDRESS = "phường Hòa Cường Bắc, quận Hải Châu, Đà Nẵng"


# ------------------------------------------------------------------ helpers


def user_event(text: str, intent: str = "ask_procedure", channel: str = CHANNEL) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": []},
        "input_channel": channel,
    }


def make_tracker(
    text: str,
    intent: str = "ask_procedure",
    *,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | None = None,
    sender: str = SENDER,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
    }
    events = [*(history or []), {**user_event(text, intent), "parse_data": latest}]
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": {
                "procedure_code": None,
                "procedure_title": None,
                "fallback_count": None,
                "awaiting": None,
                "place": None,
                "aspect": None,
                "options": None,
                "pending": None,
                "rated": None,
                **(slots or {}),
            },
            "latest_message": latest,
            "events": events,
            "latest_input_channel": CHANNEL,
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


class Bot:
    """What the action server is started with in a test: the knowledge holder a fixture
    installed, and the database a fixture brought up (else the holder's settings')."""

    knowledge: Knowledge | None = None
    database_url: str | None = None

    def action(self) -> ActionRespond:
        assert self.knowledge is not None, "use the kb or use_knowledge fixture"
        settings = self.knowledge.settings
        if self.database_url:
            settings = settings.model_copy(update={"database_url": self.database_url})
        return ActionRespond(self.knowledge, settings)


BOT = Bot()


def run(action: Action, tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    assert all(e["event"] == "slot" for e in events)
    return {e["name"]: e["value"] for e in events}


def respond(tracker: Tracker) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run action_respond: its messages and the slots after it (the tracker's, updated by
    the action's events, as Rasa applies them; the turn record among them)."""
    messages, events = run(BOT.action(), tracker)
    return messages, {**tracker.slots, **slot_events(events)}


def test_only_the_slots_that_change_are_set(kb: Knowledge) -> None:
    """Rasa validates every event an action returns: an unchanged slot is not sent again."""
    first = make_tracker("làm giấy khai sinh cho con", "ask_procedure")
    _, events = run(BOT.action(), first)
    after = {**first.slots, **slot_events(events)}
    sent = {e["name"] for e in events}
    assert {"procedure_code", "procedure_title", "aspect", "turn"} <= sent
    assert "options" not in sent and "pending" not in sent  # None before and after
    # the same question again, from the state it left: the procedure is not set again, and
    # whatever is sent differs from what the tracker holds
    again = make_tracker("làm giấy khai sinh cho con", "ask_procedure", slots=after)
    _, events = run(BOT.action(), again)
    assert "turn" in {e["name"] for e in events}
    assert not {"procedure_code", "procedure_title", "aspect"} & {e["name"] for e in events}
    assert all(e["value"] != again.slots.get(e["name"]) for e in events if e["name"] != "turn")


def payload(button: dict[str, str]) -> tuple[str, dict[str, str]]:
    intent, _, entities = button["payload"].partition("{")
    return intent.lstrip("/"), json.loads("{" + entities)


# ------------------------------------------------------------------ fixtures


@pytest.fixture()
def use_knowledge() -> Iterator[Any]:
    """Install a Knowledge holder for the test, restoring the previous one after."""
    previous = BOT.knowledge

    def install(holder: Any) -> Any:
        BOT.knowledge = holder
        return holder

    yield install
    BOT.knowledge = previous


def settings_for(index: SmallIndex, **changes: Any) -> Settings:
    return Settings(
        _env_file=None, index_dir=index.index_dir, procedures_dir=index.procedures_dir, **changes
    )  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def loaded_knowledge(small_index: SmallIndex) -> Knowledge:
    holder = Knowledge(settings_for(small_index, answer_threshold=0.5, ambiguity_margin=0.04))
    holder.current()
    return holder


@pytest.fixture()
def kb(loaded_knowledge: Knowledge, use_knowledge: Any) -> Knowledge:
    return use_knowledge(loaded_knowledge)


@pytest.fixture()
def database(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'staff.db'}"
    upgrade(url)
    BOT.database_url = url
    yield url
    BOT.database_url = None


def rows(model: type) -> list[Any]:
    assert BOT.database_url
    with session_scope(engine_for(BOT.database_url)) as session:
        return list(session.scalars(select(model).order_by(model.id)))  # type: ignore[attr-defined]


# ------------------------------------------------------------------ answers


def test_general_question_is_answered_with_buttons_slots_and_a_record(kb: Knowledge) -> None:
    messages, slots = respond(make_tracker("làm giấy khai sinh cho con", "ask_procedure"))
    assert [m["response"] for m in messages] == ["utter_answer_general", "utter_ask_feedback"]
    answer = messages[0]
    assert answer["title"] == "Đăng ký khai sinh"
    assert answer["summary"].startswith("Làm giấy khai sinh cho trẻ mới sinh")
    assert "facts" in answer and answer["source"].startswith("https://")
    assert [payload(b) for b in answer["buttons"]] == [
        (intent, {"procedure_code": KHAI_SINH})
        for intent in ("ask_documents", "ask_fee", "ask_time", "ask_place")
    ]
    assert slots["turn"] == {"outcome": "answer", "codes": [KHAI_SINH], "aspect": "general"}
    assert (slots["procedure_code"], slots["procedure_title"]) == (KHAI_SINH, "Đăng ký khai sinh")
    assert (slots["fallback_count"], slots["awaiting"], slots["rated"]) == (0, "feedback", [KHAI_SINH])


def test_the_rating_is_asked_once_per_procedure(kb: Knowledge) -> None:
    tracker = make_tracker("còn lệ phí thì sao", "ask_fee",
                           slots={"procedure_code": KHAI_SINH, "rated": [KHAI_SINH]})
    messages, slots = respond(tracker)
    assert [m["response"] for m in messages] == ["utter_answer_fee"]
    assert slots["awaiting"] is None and slots["rated"] == [KHAI_SINH]


def test_the_words_pick_the_aspect_even_when_the_intent_says_otherwise(kb: Knowledge) -> None:
    messages, slots = respond(make_tracker("đăng ký kết hôn cần giấy tờ gì", "ask_fee"))
    assert messages[0]["response"] == "utter_answer_documents"
    assert messages[0]["title"] == "đăng ký kết hôn"
    assert messages[0]["documents"].startswith("1. ")
    assert all(payload(b)[0] != "ask_documents" for b in messages[0]["buttons"])
    assert slots["turn"] == {"outcome": "answer", "codes": [KET_HON], "aspect": "documents"}


def test_a_follow_up_without_the_procedures_name_keeps_it(kb: Knowledge) -> None:
    tracker = make_tracker("có mất tiền ko", "affirm", slots={"procedure_code": KET_HON, "aspect": "documents"})
    messages, slots = respond(tracker)
    assert messages[0]["response"] == "utter_answer_fee"
    assert messages[0]["title"] == "đăng ký kết hôn" and "fees" in messages[0]
    assert {payload(b)[1]["procedure_code"] for b in messages[0]["buttons"]} == {KET_HON}
    assert slots["turn"] == {"outcome": "answer", "codes": [KET_HON], "aspect": "fee"}


def test_a_confident_new_procedure_switches(kb: Knowledge) -> None:
    tracker = make_tracker("thế còn làm giấy khai sinh cho con thì cần những gì", "ask_documents",
                           slots={"procedure_code": KET_HON})
    messages, slots = respond(tracker)
    assert messages[0]["response"] == "utter_answer_documents"
    assert messages[0]["title"] == "đăng ký khai sinh"
    assert (slots["procedure_code"], slots["procedure_title"]) == (KHAI_SINH, "Đăng ký khai sinh")


def test_a_button_press_answers_the_chosen_procedure(kb: Knowledge) -> None:
    text = f'/ask_fee{{"procedure_code":"{KET_HON}"}}'
    tracker = make_tracker(text, "ask_fee", entities=[{"entity": "procedure_code", "value": KET_HON}],
                           slots={"procedure_code": KHAI_SINH})
    messages, slots = respond(tracker)
    assert messages[0]["response"] == "utter_answer_fee"
    assert messages[0]["title"] == "đăng ký kết hôn"
    assert slots["procedure_code"] == KET_HON


def test_an_ambiguous_question_offers_the_procedures_as_buttons(small_index: SmallIndex, use_knowledge: Any) -> None:
    # A wide margin makes both ID cards "close" whatever their exact scores.
    use_knowledge(Knowledge(settings_for(small_index, answer_threshold=0.01, ambiguity_margin=0.99)))
    messages, slots = respond(make_tracker("làm thẻ căn cước thì nộp ở đâu", "ask_place"))
    assert [m["response"] for m in messages] == ["utter_ask_which"]
    choices = [payload(b) for b in messages[0]["buttons"]]
    codes = [c[1]["procedure_code"] for c in choices]
    assert {CAN_CUOC_14, CAN_CUOC_DUOI_14} <= set(codes)
    assert {c[0] for c in choices} == {"ask_place"}
    assert slots["turn"]["outcome"] == "clarify" and slots["turn"]["codes"] == codes == slots["options"]
    # the citizen answers in words: the age picks the card
    tracker = make_tracker("cháu 16 tuổi", "inform", slots={k: slots[k] for k in ("options", "pending", "aspect")})
    messages, slots = respond(tracker)
    assert messages[0]["response"] == "utter_answer_place"
    assert slots["turn"] == {"outcome": "answer", "codes": [CAN_CUOC_14], "aspect": "place"}


def test_nothing_found_asks_to_rephrase_then_offers_a_person(kb: Knowledge) -> None:
    messages, slots = respond(make_tracker("asdfghjkl", "nlu_fallback"))
    assert [m["response"] for m in messages] == ["utter_ask_rephrase"]
    assert (slots["fallback_count"], slots["awaiting"]) == (1, None)
    assert slots["turn"] == {"outcome": "rephrase", "codes": [], "aspect": None}
    messages, slots = respond(make_tracker("?????", "nlu_fallback", slots={"fallback_count": 1}))
    assert [m["response"] for m in messages] == ["utter_offer_human"]
    assert (slots["fallback_count"], slots["awaiting"]) == (2, "human")
    assert slots["turn"]["outcome"] == "offer_handoff"


def test_off_topic_is_not_a_follow_up(kb: Knowledge) -> None:
    tracker = make_tracker("cách nấu phở bò", "out_of_scope", slots={"procedure_code": KET_HON})
    messages, slots = respond(tracker)
    assert [m["response"] for m in messages] == ["utter_out_of_scope"]
    assert slots["turn"]["outcome"] == "not_covered"


def test_an_intent_never_overrides_a_confident_procedure(kb: Knowledge) -> None:
    for intent in ("out_of_scope", "chitchat", "thank", "greet", "nlu_fallback"):
        messages, slots = respond(make_tracker("chào bạn, đăng ký kết hôn ở đâu", intent))
        assert messages[0]["response"] == "utter_answer_place", intent
        assert slots["turn"]["codes"] == [KET_HON]


def test_social_messages_get_their_replies(kb: Knowledge) -> None:
    for text, intent, response, outcome in (
        ("xin chào", "greet", "utter_greet", "greeting"),
        ("cảm ơn nhé", "thank", "utter_thank", "thanks"),
        ("tạm biệt", "goodbye", "utter_goodbye", "goodbye"),
        ("bạn là ai vậy", "chitchat", "utter_chitchat", "chitchat"),
    ):
        messages, slots = respond(make_tracker(text, intent, slots={"procedure_code": KET_HON}))
        assert [m["response"] for m in messages] == [response], text
        assert slots["turn"]["outcome"] == outcome


def test_place_question_names_the_resolved_ward(kb: Knowledge) -> None:
    tracker = make_tracker(
        f"nộp ở {LEGACY_ADDRESS}",
        "ask_place",
        entities=[{"entity": "place", "value": LEGACY_ADDRESS, "start": 6, "end": 6 + len(LEGACY_ADDRESS)}],
        slots={"procedure_code": KET_HON, "place": LEGACY_ADDRESS},
    )
    messages, _ = respond(tracker)
    assert messages[0]["response"] == "utter_answer_place"
    place = messages[0]["place"]
    assert "Phường Hòa Cường, Thành phố Đà Nẵng" in place
    assert place.splitlines()[0].startswith("Ủy ban nhân dân")


def test_retrieval_failure_says_the_service_is_unavailable(tmp_path: Path, use_knowledge: Any) -> None:
    use_knowledge(Knowledge(Settings(_env_file=None, index_dir=tmp_path / "no-index", procedures_dir=tmp_path)))  # type: ignore[call-arg]
    messages, events = run(BOT.action(), make_tracker("làm giấy khai sinh", "ask_procedure"))
    assert [m["response"] for m in messages] == ["utter_service_unavailable"]
    assert slot_events(events) == {"turn": {"outcome": "error", "codes": [], "aspect": None}}


# ------------------------------------------------------------------ knowledge


def test_knowledge_state_keeps_published_guides_of_the_index(kb: Knowledge) -> None:
    state = kb.current()
    assert len(state.guides) == 12 and KHAI_SINH in state.guides
    assert kb.current() is state  # cached between checks
    assert state.search("làm giấy khai sinh")[0].code == KHAI_SINH
    assert {"khai", "sinh", "ket", "hon"} <= state.vocabulary
    novelty, share = state.naming(TAM_TRU, KET_HON, "đăng ký tạm trú")
    assert novelty > 0 and share == 1.0
    assert state.naming(TAM_TRU, TAM_TRU, "đăng ký tạm trú")[0] == 0.0


@pytest.mark.slow
def test_knowledge_hot_swaps_a_rebuilt_index(
    small_index: SmallIndex,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from retrieval.build import build_index  # noqa: PLC0415

    copy = small_index.copy_to(tmp_path)
    holder = Knowledge(settings_for(copy))
    before = holder.current()
    assert len(before.guides) == 12
    assert "3.000333" not in before.guides

    added = copy.procedures_dir / "ly-lich-tu-phap" / "cap-phieu-ly-lich-tu-phap.yml"
    added.parent.mkdir()
    shutil.copy2(
        Path(__file__).resolve().parents[2] / "procedures" / "ly-lich-tu-phap" / added.name, added
    )
    build_index(small_options(copy.procedures_dir, copy.index_dir), progress=lambda _m: None)

    monkeypatch.setattr(knowledge_module, "CHECK_EVERY_SECONDS", 3600.0)
    holder._last_check = time.monotonic()
    assert holder.current() is before  # not checked yet

    monkeypatch.setattr(knowledge_module, "CHECK_EVERY_SECONDS", 0.0)
    after = holder.current()
    assert after is not before
    assert len(after.guides) == 13 and "3.000333" in after.guides
    assert after.manifest_mtime != before.manifest_mtime
    assert after.search("xin cấp phiếu lý lịch tư pháp")[0].code == "3.000333"
    assert holder.current() is after  # unchanged manifest: no reload

    # A broken rewrite keeps the previous state.
    manifest = copy.index_dir / "manifest.json"
    manifest.write_text("{broken", encoding="utf-8")
    os.utime(manifest, (after.manifest_mtime + 5, after.manifest_mtime + 5))
    assert holder.current() is after


# ------------------------------------------------------------------ handoff and feedback


def test_handoff_opens_a_ticket_with_the_last_question(kb: Knowledge, database: str) -> None:
    history = [
        user_event("làm giấy khai sinh cho con ở đâu", "ask_place"),
        {"event": "bot", "text": "..."},
        user_event("/feedback_negative", "feedback_negative"),
        user_event("có", "affirm"),
    ]
    tracker = make_tracker("cho tôi gặp cán bộ", "request_human", slots={"procedure_code": KHAI_SINH},
                           history=history)
    messages, slots = respond(tracker)
    (ticket,) = rows(HandoffTicket)
    assert [m["response"] for m in messages] == ["utter_handoff_opened"]
    assert messages[0]["ticket"] == f"#{ticket.id}"
    assert slots["turn"] == {"outcome": "handoff", "codes": [KHAI_SINH], "aspect": None}
    assert (slots["awaiting"], slots["fallback_count"]) == (None, 0)
    assert (ticket.sender_id, ticket.channel, ticket.reason, ticket.status) == (SENDER, CHANNEL, "request", "open")
    assert ticket.procedure_code == KHAI_SINH
    assert ticket.last_message == "làm giấy khai sinh cho con ở đâu"

    # Asking again while the ticket is open reuses it.
    messages, _ = respond(make_tracker("gặp người thật", "request_human", history=[user_event("lệ phí kết hôn")]))
    assert messages[0]["ticket"] == f"#{ticket.id}"
    (same,) = rows(HandoffTicket)
    assert same.id == ticket.id and same.last_message == "lệ phí kết hôn"
    # Another citizen gets their own ticket.
    messages, _ = respond(make_tracker("gặp cán bộ", "request_human", sender="citizen-2"))
    assert len(rows(HandoffTicket)) == 2 and messages[0]["ticket"] != f"#{ticket.id}"


def test_a_clear_yes_after_the_offer_of_a_person_opens_a_fallback_ticket(kb: Knowledge, database: str) -> None:
    tracker = make_tracker("ừ được, chuyển giúp mình", "affirm", slots={"awaiting": "human"},
                           history=[user_event("giá vàng hôm nay")])
    messages, slots = respond(tracker)
    assert [m["response"] for m in messages] == ["utter_handoff_opened"]
    (ticket,) = rows(HandoffTicket)
    assert ticket.reason == "fallback" and ticket.last_message == "giá vàng hôm nay"
    assert slots["awaiting"] is None and slots["turn"]["outcome"] == "handoff"


def test_junk_after_the_offer_of_a_person_opens_nothing(kb: Knowledge, database: str) -> None:
    # The NLU reads "asdfghjkl" as a yes at times: only the words count.
    for text in ("asdfghjkl", "?????", "có mất tiền không"):
        respond(make_tracker(text, "affirm", slots={"awaiting": "human", "fallback_count": 2}))
    assert rows(HandoffTicket) == []


def test_no_after_the_offer_of_a_person_opens_nothing(kb: Knowledge, database: str) -> None:
    messages, slots = respond(make_tracker("không", "deny", slots={"awaiting": "human"}))
    assert [m["response"] for m in messages] == ["utter_no_handoff"]
    assert rows(HandoffTicket) == [] and rows(Feedback) == []
    assert slots["awaiting"] is None


@pytest.mark.parametrize(
    ("text", "intent", "awaiting", "helpful", "response"),
    [
        ("/feedback_positive", "feedback_positive", None, True, "utter_feedback_positive"),
        ("/feedback_negative", "feedback_negative", None, False, "utter_feedback_negative"),
        ("có", "affirm", "feedback", True, "utter_feedback_positive"),
        ("không", "deny", "feedback", False, "utter_feedback_negative"),
        ("👍", "chitchat", None, True, "utter_feedback_positive"),
        ("chưa đúng ý mình", "deny", None, False, "utter_feedback_negative"),
    ],
)
def test_feedback_is_stored(
    kb: Knowledge, database: str, text: str, intent: str, awaiting: str | None, helpful: bool, response: str
) -> None:
    tracker = make_tracker(text, intent, slots={"procedure_code": KET_HON, "awaiting": awaiting})
    messages, slots = respond(tracker)
    assert [m["response"] for m in messages] == [response]
    (row,) = rows(Feedback)
    assert (row.sender_id, row.channel, row.procedure_code, row.helpful) == (SENDER, CHANNEL, KET_HON, helpful)
    assert row.created_at is not None
    assert slots["awaiting"] is None
    assert slots["turn"] == {"outcome": "feedback", "codes": [KET_HON], "aspect": None}


def test_yes_or_no_with_nothing_pending_is_acknowledged(kb: Knowledge, database: str) -> None:
    messages, slots = respond(make_tracker("ok", "affirm"))
    assert [m["response"] for m in messages] == ["utter_ack"] and slots["turn"]["outcome"] == "chitchat"
    messages, _ = respond(make_tracker("không", "deny"))
    assert [m["response"] for m in messages] == ["utter_ack"]
    assert rows(Feedback) == [] and rows(HandoffTicket) == []


def test_database_failure(kb: Knowledge, tmp_path: Path) -> None:
    # A database without the tables: the handoff apologises, feedback still thanks.
    BOT.database_url = f"sqlite:///{tmp_path / 'empty.db'}"
    try:
        messages, slots = respond(make_tracker("gặp cán bộ", "request_human"))
        assert [m["response"] for m in messages] == ["utter_service_unavailable"]
        assert slots["turn"]["outcome"] == "error" and slots["awaiting"] is None
        messages, _ = respond(make_tracker("hữu ích", "feedback_positive", slots={"procedure_code": KET_HON}))
        assert [m["response"] for m in messages] == ["utter_feedback_positive"]
    finally:
        BOT.database_url = None


# ------------------------------------------------------------------ the catalog tier


def test_an_answer_from_the_catalog_says_so_and_offers_a_clerk(tmp_path: Path, use_knowledge: Any) -> None:
    from retrieval.build import build_index  # noqa: PLC0415
    from tests.small_index import copy_guides  # noqa: PLC0415

    procedures = copy_guides(tmp_path / "procedures", ("ho-tich/dang-ky-khai-sinh.yml", "cu-tru/dang-ky-tam-tru.yml"))
    catalog = Path(__file__).resolve().parents[1] / "fixtures" / "catalog"
    build_index(small_options(procedures, tmp_path / "index", catalog_dir=catalog), progress=lambda _m: None)
    holder = use_knowledge(Knowledge(Settings(_env_file=None, index_dir=tmp_path / "index",  # type: ignore[call-arg]
                                              procedures_dir=procedures)))
    state = holder.current()
    assert state.guides["1.900006"].tier == "catalog" and state.guides[KHAI_SINH].tier == "curated"
    messages, slots = respond(make_tracker("cấp giấy phép hoạt động cho tổ chức tài chính vi mô cần giấy tờ gì",
                                           "ask_documents"))
    assert [m["response"] for m in messages] == ["utter_answer_documents", "utter_catalog_note", "utter_ask_feedback"]
    assert messages[0]["reviewed"] == "từ danh mục quốc gia"
    assert slots["turn"] == {"outcome": "answer", "codes": ["1.900006"], "aspect": "documents"}
    # a curated guide's answer has no such note
    messages, _ = respond(make_tracker("làm giấy khai sinh cần gì", "ask_documents"))
    assert "utter_catalog_note" not in [m["response"] for m in messages]
    # the words that tell an aside from a follow-up are the curated guides' (the catalog's
    # records use nearly every word)
    catalog_words = {w for g in state.guides.values() if g.is_catalog for w in search_text(g.title).split()}
    curated_words = set().union(*(state._tokens[c] for c, g in state.guides.items() if not g.is_catalog))
    only_catalog = catalog_words - curated_words
    assert only_catalog and not only_catalog & state.vocabulary
    assert {w for w in curated_words if "_" not in w} <= state.vocabulary
