"""actions.dossier_turn: a lookup carried out against the fake one-stop system and a real
SQLite database: the answer, the same reply in the same time for a wrong code and a wrong
proof, the pause after five failed proofs, following, the audit log."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.dossier_dialogue import DossierState, next_step
from actions.dossier_turn import DossierDesk, dossier_state_of
from actions.onestop import HttpOneStop
from servers.database import migrated_sqlite
from servers.fake_onestop import FakeOneStop, sample_record
from tthc_data import dossiers as store
from tthc_data.engine import engine_for
from tthc_data.tables import AuditLog
from tthc_settings import Settings

CODE = "000.00.12.H40-251201-0007"
UNKNOWN = "000.00.12.H40-251201-0999"


@pytest.fixture()
def fake() -> Iterator[FakeOneStop]:
    with FakeOneStop() as server:
        server.add(sample_record(CODE, status="result_ready"), "5678")
        server.misbehaviour.unknown_code_delay = 0.0
        server.misbehaviour.wrong_proof_delay = 0.25  # the system itself takes longer over a wrong proof
        yield server


@pytest.fixture()
def settings(tmp_path: Path, fake: FakeOneStop) -> Settings:
    return Settings(database_url=migrated_sqlite(tmp_path / "desk.db"), dossier_api_url=fake.url,
                    dossier_failed_reply_seconds=0.6, _env_file=None)  # type: ignore[call-arg]


def tracker(text: str, slots: dict[str, Any] | None = None, sender: str = "telegram:42",
            channel: str = "telegram") -> Tracker:
    latest = {"text": text, "intent": {"name": "ask_procedure", "confidence": 0.9}, "entities": []}
    return Tracker.from_dict({
        "sender_id": sender, "slots": {"dossier_stage": None, "dossier_code": None, "dossier_verified": None,
                                       **(slots or {})},
        "latest_message": latest, "paused": False, "followup_action": None, "active_loop": {},
        "latest_action_name": "action_listen",
        "events": [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel}]})


def say(desk: DossierDesk, text: str, slots: dict[str, Any] | None = None, **who: str) -> tuple[list[dict[str, Any]], dict[str, Any], float]:
    """One message through the desk: what it sent, the slots after, the seconds it took."""
    current = tracker(text, slots, **who)
    step = next_step(text, dossier_state_of(current))
    assert step is not None, text
    dispatcher = CollectingDispatcher()
    started = time.monotonic()
    events = asyncio.run(desk.carry_out(step, dispatcher, current))
    after = {**current.slots, **{e["name"]: e["value"] for e in events if e.get("event") == "slot"}}
    return dispatcher.messages, after, time.monotonic() - started


def lookup(desk: DossierDesk, code: str, digits: str, **who: str) -> tuple[list[dict[str, Any]], dict[str, Any], float]:
    _, slots, _ = say(desk, f"mã hồ sơ {code}", **who)
    assert slots["dossier_stage"] == "proof"
    return say(desk, digits, slots, **who)


def desk_for(settings: Settings) -> DossierDesk:
    return DossierDesk(settings, HttpOneStop(settings.dossier_api_url or "", backoff=0.05))


def test_a_passed_proof_answers_and_may_then_follow(settings: Settings) -> None:
    desk = desk_for(settings)
    sent, slots, _ = lookup(desk, CODE, "5678")
    assert "đã có kết quả" in sent[0]["text"] and "Bộ phận một cửa UBND phường Hải Châu" in sent[0]["text"]
    assert slots["dossier_verified"] == CODE and slots["turn"]["outcome"] == "dossier_answer"
    sent, _, _ = say(desk, "theo dõi hồ sơ này", slots)
    assert sent[0]["response"] == "utter_dossier_followed"
    engine = engine_for(settings.database_url)
    assert [s.code for s in store.subscriptions_of(engine, channel="telegram", recipient="42")] == [CODE]
    sent, _, _ = say(desk, "hủy theo dõi", slots)
    assert sent[0]["response"] == "utter_dossier_unfollowed"
    assert store.subscriptions_of(engine, channel="telegram", recipient="42") == []


def test_following_a_polled_dossier_tells_only_what_changes_after(settings: Settings, fake: FakeOneStop) -> None:
    from actions.dossier_poll import DossierPoller

    polled = settings.model_copy(update={"dossier_poll_interval": 60.0})
    desk, engine = desk_for(polled), engine_for(settings.database_url)
    _, slots, _ = lookup(desk, CODE, "5678")
    say(desk, "theo dõi hồ sơ này", slots)
    assert store.last_fingerprint(engine, CODE) is not None  # what the citizen was just shown
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE dossier_watch SET next_check_at = 0")
    poller = DossierPoller(polled, HttpOneStop(fake.url, backoff=0.05))
    assert asyncio.run(poller.poll_once()) == 0
    assert store.updates_to(engine, channel="telegram", recipient="42") == []


def test_a_wrong_code_and_a_wrong_proof_look_the_same(settings: Settings) -> None:
    desk = desk_for(settings)
    wrong_code, slots_a, seconds_a = lookup(desk, UNKNOWN, "5678", sender="web-a", channel="web")
    wrong_proof, slots_b, seconds_b = lookup(desk, CODE, "1111", sender="web-b", channel="web")
    assert wrong_code == wrong_proof == [{**wrong_code[0], "response": "utter_dossier_not_found"}]
    assert slots_a["dossier_verified"] is None and slots_b["dossier_verified"] is None
    # the fake took 0.25 s longer over the wrong proof; both replies wait for the same floor
    assert abs(seconds_a - seconds_b) < 0.15 and min(seconds_a, seconds_b) >= 0.6


def test_after_a_wrong_proof_the_digits_sent_again_are_checked(settings: Settings) -> None:
    desk = desk_for(settings.model_copy(update={"dossier_failed_reply_seconds": 0.0}))
    sent, slots, _ = lookup(desk, CODE, "1111")
    assert sent[0]["response"] == "utter_dossier_not_found"
    assert (slots["dossier_stage"], slots["dossier_code"]) == ("proof", CODE)
    sent, slots, _ = say(desk, "à nhầm, 5678", slots)
    assert "đã có kết quả" in sent[0]["text"] and slots["dossier_verified"] == CODE


def test_five_failed_proofs_pause_lookups_of_that_code_whoever_asks(settings: Settings) -> None:
    desk = desk_for(settings.model_copy(update={"dossier_failed_reply_seconds": 0.0}))
    for attempt in range(5):
        sent, _, _ = lookup(desk, CODE, f"000{attempt}", sender=f"web-{attempt}", channel="web")
        assert sent[0]["response"] == "utter_dossier_not_found"
    sent, _, _ = lookup(desk, CODE, "5678", sender="web-new", channel="web")  # even the right proof waits
    assert sent[0]["response"] == "utter_dossier_paused"
    sent, _, _ = lookup(desk, "000.00.12.H40-251201-0001", "5678", sender="web-new", channel="web")
    assert sent[0]["response"] == "utter_dossier_not_found"  # another code: not paused for this sender yet


def test_every_lookup_is_audited_without_the_code_or_the_proof(settings: Settings) -> None:
    desk = desk_for(settings.model_copy(update={"dossier_failed_reply_seconds": 0.0}))
    lookup(desk, CODE, "5678")
    lookup(desk, CODE, "1234")
    with engine_for(settings.database_url).connect() as conn:
        rows = conn.execute(select(AuditLog.__table__).order_by(AuditLog.__table__.c.id)).fetchall()
    assert [(r.action, r.target) for r in rows] == [("dossier.lookup", "000.00.12.H40-••••••-••07")] * 2
    assert ["found" in rows[0].detail, "not_verified" in rows[1].detail] == [True, True]
    assert not any("1234" in r.detail or "5678" in r.detail for r in rows)


def test_following_from_the_rest_channel_is_declined(settings: Settings) -> None:
    desk = desk_for(settings)
    _, slots, _ = lookup(desk, CODE, "5678", sender="api-1", channel="rest")
    sent, _, _ = say(desk, "theo dõi hồ sơ này", slots, sender="api-1", channel="rest")
    assert sent[0]["response"] == "utter_dossier_follow_not_here"


def test_without_a_one_stop_system_the_bot_says_where_to_look(settings: Settings) -> None:
    desk = DossierDesk(settings, None)
    sent, slots, _ = say(desk, "hồ sơ của tôi đến đâu rồi")
    assert sent[0]["response"] == "utter_dossier_unavailable" and slots["dossier_stage"] is None


def test_a_system_that_is_down_gets_an_apology_not_a_failed_proof(settings: Settings, fake: FakeOneStop) -> None:
    fake.misbehaviour.fail_next = 1000
    desk = desk_for(settings.model_copy(update={"dossier_timeout": 0.8}))
    sent, _, _ = lookup(desk, CODE, "5678")
    assert sent[0]["response"] == "utter_dossier_error"
    assert store.failed_proofs(engine_for(settings.database_url), sender="telegram:42", code=CODE) == (0, 0)


def test_state_of_a_tracker() -> None:
    assert dossier_state_of(tracker("x", {"dossier_stage": "proof", "dossier_code": CODE})) == DossierState("proof", CODE)


def test_a_poll_sends_what_changed_once(settings: Settings, fake: FakeOneStop) -> None:
    from actions.dossier_poll import DossierPoller

    engine = engine_for(settings.database_url)
    polled = settings.model_copy(update={"dossier_poll_interval": 60.0})

    def due_now() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE dossier_watch SET next_check_at = 0")

    store.subscribe(engine, code=CODE, channel="web", recipient="web-p", poll_after=-1)
    poller = DossierPoller(polled, HttpOneStop(fake.url, backoff=0.05))
    # followed with nothing recorded yet: the first poll notes what it says, tells nothing the citizen saw
    assert asyncio.run(poller.poll_once()) == 0
    assert store.last_fingerprint(engine, CODE) is not None
    assert store.updates_to(engine, channel="web", recipient="web-p") == []
    fake.update(CODE, status="needs_documents", missing=["Bản sao giấy chứng nhận kết hôn"])
    assert asyncio.run(poller.poll_once()) == 0  # claimed for the next 60 s: not polled again
    due_now()
    assert asyncio.run(poller.poll_once()) == 1  # the change
    due_now()
    assert asyncio.run(poller.poll_once()) == 0  # polled, nothing new
    fake.update(CODE, status="completed", missing=[])
    due_now()
    assert asyncio.run(poller.poll_once()) == 1
    texts = [u.text for u in store.updates_to(engine, channel="web", recipient="web-p")]
    assert len(texts) == 2 and "giấy chứng nhận kết hôn" in texts[0] and "ngừng theo dõi" in texts[1]
    assert store.subscriptions_of(engine, channel="web", recipient="web-p") == []
