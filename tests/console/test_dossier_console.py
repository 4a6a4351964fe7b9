"""What staff see of dossier status: lookups and followings per day on the dashboard, the
updates in a transcript, and the retention and deletion rules over what dossiers keep."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from sqlalchemy import func, select

from console import reports
from console.retention import delete_older_than, delete_sender
from servers.database import migrated_sqlite
from tthc_data import dossiers as store
from tthc_data.engine import engine_for, session_scope
from tthc_data.tables import dossier_failed_proofs, dossier_statuses, dossier_subscriptions

CODE = "000.00.12.H40-251201-0007"


def count(engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


def test_the_dashboard_counts_lookups_and_followings_per_day(tmp_path: Path) -> None:
    engine = engine_for(migrated_sqlite(tmp_path / "c.db"))
    for outcome in ("found", "not_verified", "paused"):
        store.audit_dossier(engine, action="dossier.lookup", code=CODE, channel="web", outcome=outcome)
    store.audit_dossier(engine, action="dossier.follow", code=CODE, channel="web", outcome="new")
    store.subscribe(engine, code=CODE, channel="web", recipient="web-a")
    store.subscribe(engine, code=CODE, channel="telegram", recipient="1", now=time.time() - 3 * 86400)
    today = dt.datetime.now(dt.timezone.utc).date()
    with session_scope(engine) as session:
        board = reports.dashboard({}, session, today - dt.timedelta(days=6), today)
    assert board.dossier_lookups[-1] == 3 and sum(board.dossier_lookups) == 3
    assert board.dossier_follows[-1] == 1 and board.dossier_follows[-4] == 1
    assert board.totals["dossier_follows"] == 2


def test_an_update_shows_in_the_transcript_data_and_deletion_removes_the_followings(tmp_path: Path) -> None:
    engine = engine_for(migrated_sqlite(tmp_path / "c.db"))
    store.subscribe(engine, code=CODE, channel="telegram", recipient="42")
    store.subscribe(engine, code=CODE, channel="web", recipient="web-b")
    store.record_failed_proof(engine, sender="telegram:42", code=CODE)
    store.apply_change(engine, code=CODE, event_key="webhook:1", status="result_ready", fingerprint="f", final=False,
                       text=f"Hồ sơ {CODE} đã có kết quả")
    updates = store.updates_to(engine, channel="telegram", recipient="42")
    assert len(updates) == 1 and "đã có kết quả" in updates[0].text
    counts = delete_sender(engine, "telegram:42", actor="quantri")
    assert counts["dossier_subscription"] == 1 and counts["dossier_failed_proof"] == 1
    assert count(engine, dossier_subscriptions) == 1  # the web conversation's stays
    assert store.updates_to(engine, channel="telegram", recipient="42") == []


def test_retention_deletes_old_dossier_data(tmp_path: Path) -> None:
    engine = engine_for(migrated_sqlite(tmp_path / "c.db"))
    old = time.time() - 400 * 86400
    store.subscribe(engine, code=CODE, channel="web", recipient="web-old", now=old)
    store.record_failed_proof(engine, sender="web-old", code=CODE, now=old)
    store.apply_change(engine, code=CODE, event_key="webhook:1", status="completed", fingerprint="f", final=True,
                       text="x", now=old)
    store.subscribe(engine, code=CODE, channel="web", recipient="web-new")
    counts = delete_older_than(engine, 365)
    assert counts["dossier_status"] == 1 and counts["dossier_failed_proof"] == 1
    assert count(engine, dossier_subscriptions) == 1
    assert count(engine, dossier_statuses) == 0 and count(engine, dossier_failed_proofs) == 0
