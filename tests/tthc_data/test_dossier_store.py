"""tthc_data.dossiers on a real migrated database, SQLite and PostgreSQL: the failed-proof
pause, following, a status change recorded once and queued to each follower, Zalo's window,
polls claimed once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from servers.database import migrated_sqlite, upgrade
from tthc_data import dossiers as store
from tthc_data.channels import ChannelStore
from tthc_data.engine import engine_for
from tthc_data.tables import AuditLog, dossier_failed_proofs, outbox

CODE = "000.00.12.H40-251201-0007"
OTHER = "000.00.12.H40-251201-0008"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return migrated_sqlite(tmp_path / "dossiers.db")
    url = str(request.getfixturevalue("postgres_url"))
    upgrade(url)  # as `tthc db upgrade` does
    return url


@pytest.fixture()
def engine(database_url: str):  # type: ignore[no-untyped-def]
    return engine_for(database_url)


def change(engine, key: str, status: str = "in_progress", fingerprint: str = "f1", final: bool = False,  # type: ignore[no-untyped-def]
           zalo: store.ZaloWindow | None = None, code: str = CODE) -> store.ChangeOutcome:
    return store.apply_change(engine, code=code, event_key=key, status=status, fingerprint=fingerprint, final=final,
                              text=f"Hồ sơ {code}: {status}", zalo=zalo)


def rows(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(outbox).order_by(outbox.c.id)).fetchall()


def test_five_failed_proofs_pause_the_sender_and_the_code_whoever_tries(engine) -> None:  # type: ignore[no-untyped-def]
    now = time.time()
    for attempt in range(4):
        store.record_failed_proof(engine, sender=f"web-{attempt}", code=CODE, now=now)
    assert not store.proofs_paused(engine, sender="web-9", code=CODE, now=now)
    store.record_failed_proof(engine, sender="web-4", code=CODE, now=now)
    assert store.proofs_paused(engine, sender="web-9", code=CODE, now=now)  # the code, by five senders
    assert not store.proofs_paused(engine, sender="web-9", code=OTHER, now=now)
    for attempt in range(5):  # one sender trying five codes
        store.record_failed_proof(engine, sender="ＺＡＬＯ:7", code=f"000.00.12.H40-251201-010{attempt}", now=now)
    assert store.proofs_paused(engine, sender="zalo:7", code=OTHER, now=now)  # however the id is written
    assert not store.proofs_paused(engine, sender="zalo:7", code=OTHER, now=now + 3601)  # an hour later
    with engine.connect() as conn:
        stored = conn.execute(select(dossier_failed_proofs)).fetchall()
    assert all(CODE not in (r.sender_hash + r.code_hash) and len(r.code_hash) == 64 for r in stored)


def test_following_once_per_conversation_and_only_where_messages_can_reach(engine) -> None:  # type: ignore[no-untyped-def]
    assert store.subscribe(engine, code=CODE, channel="telegram", recipient="42")
    assert not store.subscribe(engine, code=CODE, channel="telegram", recipient="42")
    with pytest.raises(ValueError):
        store.subscribe(engine, code=CODE, channel="rest", recipient="x")
    assert [s.code for s in store.subscriptions_of(engine, channel="telegram", recipient="42")] == [CODE]
    assert store.unsubscribe(engine, channel="telegram", recipient="42") == 1
    assert store.unsubscribe(engine, channel="telegram", recipient="42") == 0
    assert change(engine, "webhook:1").queued == 0


def test_a_change_is_queued_once_to_each_follower_in_order(engine) -> None:  # type: ignore[no-untyped-def]
    store.subscribe(engine, code=CODE, channel="telegram", recipient="42")
    store.subscribe(engine, code=CODE, channel="web", recipient="web-abc")
    store.subscribe(engine, code=OTHER, channel="web", recipient="web-other")
    first = change(engine, "webhook:1")
    assert (first.duplicate, first.queued) == (False, 2)
    assert change(engine, "webhook:1").duplicate  # the same event again: nothing more
    assert change(engine, "webhook:2").queued == 0  # a new event with nothing new to tell
    assert change(engine, "webhook:3", status="needs_documents", fingerprint="f2").queued == 2
    sent = rows(engine)
    assert [(r.channel, r.recipient, r.origin) for r in sent] == [
        ("telegram", "42", "dossier"), ("web", "web-abc", "dossier"),
        ("telegram", "42", "dossier"), ("web", "web-abc", "dossier")]
    assert sent[0].message["parse_mode"] == "HTML" and "in_progress" in sent[0].message["text"]
    assert "needs_documents" in sent[3].message["text"]


def test_a_final_status_ends_the_following(engine) -> None:  # type: ignore[no-untyped-def]
    store.subscribe(engine, code=CODE, channel="telegram", recipient="42", poll_after=60)
    done = change(engine, "webhook:1", status="completed", fingerprint="f9", final=True)
    assert (done.queued, done.ended) == (1, 1)
    assert store.subscriptions_of(engine, channel="telegram", recipient="42") == []
    assert store.claim_due_watches(engine, interval=60, now=time.time() + 120) == []  # no more polls
    assert change(engine, "webhook:2", status="returned", fingerprint="f10", final=True).queued == 0


def test_zalo_messages_follow_the_window_after_the_citizens_last_message(engine) -> None:  # type: ignore[no-untyped-def]
    channels = ChannelStore(engine)
    channels.accept("zalo", "msg-1", "u-recent", {"event_name": "user_send_text"})
    channels.accept("zalo", "msg-2", "u-old", {"event_name": "user_send_text"})
    for user in ("u-recent", "u-old"):
        store.subscribe(engine, code=CODE, channel="zalo", recipient=user)
    later = time.time() + 3600  # an hour after both wrote; a window of half an hour for u-old's sake
    window = store.ZaloWindow(seconds=7 * 86400, outside="none")
    assert change(engine, "webhook:1", zalo=window).queued == 2
    closed = store.ZaloWindow(seconds=1800, outside="none")
    outcome = store.apply_change(engine, code=CODE, event_key="webhook:2", status="result_ready", fingerprint="f2",
                                 final=False, text="Hồ sơ có kết quả", zalo=closed, now=later)
    assert (outcome.queued, outcome.refused) == (0, 2)
    refused = [r for r in rows(engine) if r.status == "undeliverable"]
    assert len(refused) == 2 and all("ZALO_OUTSIDE_WINDOW=none" in r.last_error for r in refused)
    allowed = store.ZaloWindow(seconds=1800, outside="transaction", title="Cập nhật hồ sơ")
    outcome = store.apply_change(engine, code=CODE, event_key="webhook:3", status="completed", fingerprint="f3",
                                 final=True, text="Hồ sơ đã xong", zalo=allowed, now=later)
    assert outcome.queued == 2
    last = rows(engine)[-1].message
    assert last["_endpoint"] == "transaction"
    assert last["attachment"]["payload"]["elements"][1]["content"] == "Hồ sơ đã xong"


def test_by_default_a_zalo_follower_is_reached_for_48_hours_after_their_last_message(engine) -> None:  # type: ignore[no-untyped-def]
    ChannelStore(engine).accept("zalo", "msg-1", "u-1", {"event_name": "user_send_text"})
    store.subscribe(engine, code=CODE, channel="zalo", recipient="u-1")
    default = store.ZaloWindow()
    next_day = store.apply_change(engine, code=CODE, event_key="webhook:1", status="in_progress", fingerprint="f1",
                                  final=False, text="Hồ sơ đang xử lý", zalo=default, now=time.time() + 86400)
    assert (next_day.queued, next_day.refused) == (1, 0)
    three_days = store.apply_change(engine, code=CODE, event_key="webhook:2", status="result_ready",
                                    fingerprint="f2", final=False, text="Hồ sơ có kết quả", zalo=default,
                                    now=time.time() + 3 * 86400)
    assert (three_days.queued, three_days.refused) == (0, 1)


def test_a_poll_is_claimed_by_one_replica_per_interval(database_url: str) -> None:
    url = database_url
    first = engine_for(url)
    store.subscribe(first, code=CODE, channel="telegram", recipient="1", poll_after=0)
    store.subscribe(first, code=CODE, channel="telegram", recipient="2", poll_after=0)  # one watch per code
    claims: list[list[str]] = []

    def replica() -> None:  # each with its own engine, as another process would have
        from sqlalchemy import create_engine
        claims.append(store.claim_due_watches(create_engine(url), interval=60, now=time.time() + 1))

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(c) for c in claims) == [0, 0, 0, 1]
    assert store.claim_due_watches(first, interval=60, now=time.time() + 61) == [CODE]


def test_lookups_are_audited_with_the_code_masked(engine) -> None:  # type: ignore[no-untyped-def]
    store.audit_dossier(engine, action="dossier.lookup", code=CODE, channel="zalo", outcome="not_verified")
    with engine.connect() as conn:
        row = conn.execute(select(AuditLog.__table__)).fetchone()
    assert row.action == "dossier.lookup" and row.target == "000.00.12.H40-••••••-••07"
    assert "251201" not in row.detail and "not_verified" in row.detail
    import datetime as dt
    assert len(store.audited_since(engine, "dossier.lookup", dt.datetime.now(dt.timezone.utc) - dt.timedelta(1))) == 1
