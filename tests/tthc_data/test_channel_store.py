"""tthc_data.channels: inbox de-duplication, ordered outbox claims, choices and tokens."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from servers.database import migrated_sqlite
from tthc_data.channels import ChannelStore, SchemaMissing, shared_store
from tthc_data.engine import make_engine

pytestmark = pytest.mark.rasa


@pytest.fixture()
def store(tmp_path: Path) -> ChannelStore:
    return shared_store(migrated_sqlite(tmp_path / "channels.db"))


def test_an_event_is_accepted_once(store: ChannelStore) -> None:
    assert store.accept("zalo", "m1", "u1", {"text": "a"}) is True
    assert store.accept("zalo", "m1", "u1", {"text": "a"}) is False
    assert store.accept("telegram", "m1", "u1", {}) is True  # keys are per channel
    assert [e.key for e in store.unprocessed("zalo")] == ["m1"]
    store.mark_processed("zalo", "m1")
    assert store.unprocessed("zalo") == []


def test_an_unprocessed_event_is_claimed_by_one_caller_after_its_lease(store: ChannelStore) -> None:
    store.accept("zalo", "live", "u", {}, lease=60)
    store.accept("zalo", "stalled", "u", {}, lease=0)
    time.sleep(0.01)
    assert [e.key for e in store.claim_unprocessed("zalo")] == ["stalled"]
    assert store.claim_unprocessed("zalo") == []  # claimed: nobody else gets it for a while


def test_an_event_that_keeps_failing_is_marked_failed_and_no_longer_handed_out(store: ChannelStore) -> None:
    store.accept("zalo", "poison", "u", {"text": "x"}, lease=0)
    store.accept("zalo", "fine", "u", {"text": "y"}, lease=0)
    assert [store.record_failure("zalo", "poison", f"ValueError({i})", 3) for i in range(3)] == [False, False, True]
    time.sleep(0.01)
    assert [e.key for e in store.claim_unprocessed("zalo")] == ["fine"]  # never retried again
    assert [e.key for e in store.unprocessed("zalo")] == ["fine"]
    count, failed = store.failed_events()
    assert count == 1 and [(f.key, f.sender, f.attempts, f.last_error) for f in failed] == [("poison", "u", 3, "ValueError(2)")]
    assert store.record_failure("zalo", "poison", "again", 3) is False  # already failed: unchanged
    store.mark_processed("zalo", "fine")
    assert store.record_failure("zalo", "fine", "late", 1) is False  # a processed event is not failed


def test_a_database_the_migrations_have_not_made_is_refused_with_the_command_to_run(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaMissing, match="tthc db upgrade") as refused:
        ChannelStore(engine)
    assert "channel_inbox" in str(refused.value) and "channel_outbox" in str(refused.value)
    assert "channel_inbox" not in __import__("sqlalchemy").inspect(engine).get_table_names()  # nothing made here


def test_messages_to_one_recipient_are_claimed_in_order_one_at_a_time(store: ChannelStore) -> None:
    a1, a2 = store.enqueue("zalo", "a", [{"text": "a1"}, {"text": "a2"}])
    (b1,) = store.enqueue("zalo", "b", [{"text": "b1"}])
    store.enqueue("web", "a", [{"text": "pulled by the widget"}])
    first = store.claim_due(["zalo"], lease=30)
    assert sorted(m.id for m in first) == [a1, b1]  # a2 waits for a1
    assert store.claim_due(["zalo"], lease=30) == []  # a second worker gets nothing
    store.mark_retry(a1, "HTTP 503", delay=0)
    assert [m.id for m in store.claim_due(["zalo"], lease=30)] == [a1]  # a1 again, still before a2
    store.mark_sent(a1)
    store.mark_sent(b1)
    (next_message,) = store.claim_due(["zalo"], lease=30)
    assert next_message.id == a2 and next_message.attempts == 1


def test_an_undeliverable_message_does_not_block_the_next(store: ChannelStore) -> None:
    m1, m2 = store.enqueue("telegram", "c", [{"text": "1"}, {"text": "2"}])
    (claimed,) = store.claim_due(["telegram"], lease=30)
    store.mark_undeliverable(claimed.id, "Forbidden")
    assert [m.id for m in store.claim_due(["telegram"], lease=30)] == [m2]
    assert {m.id: m.status for m in store.all_messages("telegram")}[m1] == "undeliverable"


def test_a_message_whose_sender_died_is_claimed_again_after_the_lease(store: ChannelStore) -> None:
    (m1,) = store.enqueue("zalo", "d", [{"text": "1"}])
    assert [m.id for m in store.claim_due(["zalo"], lease=0.05)] == [m1]
    time.sleep(0.1)
    (again,) = store.claim_due(["zalo"], lease=30)
    assert again.id == m1 and again.attempts == 2


def test_choices_and_tokens(store: ChannelStore) -> None:
    store.remember_choices("zalo", "u", {"lệ phí": "/ask_fee"})
    store.remember_choices("zalo", "u", {"lệ phí": "/ask_fee{\"procedure_code\":\"2\"}"})
    assert store.choice("zalo", "u", "lệ phí") == "/ask_fee{\"procedure_code\":\"2\"}"
    assert store.choice("zalo", "other", "lệ phí") is None
    assert store.token("zalo_access_token") is None
    store.save_token("zalo_access_token", "t1", expires_at=123.0)
    store.save_token("zalo_access_token", "t2", expires_at=456.0)
    assert store.token("zalo_access_token") == ("t2", 456.0)
