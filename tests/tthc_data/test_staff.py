"""Staff data: Alembic migrations (idempotent) and the store's feedback and tickets (.venv:
the migrations and SQLAlchemy 2's typed queries)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("alembic", reason="the migrations run in .venv")

from sqlalchemy import inspect, select, text  # noqa: E402

from tthc_data.engine import engine_for, session_scope  # noqa: E402
from tthc_data.migrate import alembic_config, upgrade  # noqa: E402
from tthc_data.staff import open_ticket, record_feedback  # noqa: E402
from tthc_data.tables import Feedback, HandoffTicket  # noqa: E402

TABLES = {"feedback", "handoff_ticket", "staff_user"}


@pytest.fixture()
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'nested' / 'staff.db'}"
    upgrade(url)
    return url


def test_upgrade_creates_the_folder_and_the_tables(url: str, tmp_path: Path) -> None:
    assert (tmp_path / "nested" / "staff.db").is_file()
    names = set(inspect(engine_for(url)).get_table_names())
    assert TABLES <= names
    assert "alembic_version" in names
    columns = {c["name"] for c in inspect(engine_for(url)).get_columns("handoff_ticket")}
    assert {
        "sender_id",
        "channel",
        "status",
        "reason",
        "procedure_code",
        "last_message",
        "created_at",
    } <= columns


def test_upgrade_twice_is_idempotent_and_keeps_data(url: str) -> None:
    engine = engine_for(url)
    with session_scope(engine) as session:
        record_feedback(
            session, sender_id="a", channel="web", procedure_code="1.001193", helpful=True
        )
    with engine.connect() as conn:
        version = conn.execute(text("select version_num from alembic_version")).scalars().all()
    upgrade(url)
    upgrade(url)
    with engine.connect() as conn:
        assert (
            conn.execute(text("select version_num from alembic_version")).scalars().all() == version
        )
        assert conn.execute(text("select count(*) from feedback")).scalar() == 1
    assert len(version) == 1


def test_sqlite_runs_in_wal_mode(url: str) -> None:
    with engine_for(url).connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_record_feedback(url: str) -> None:
    engine = engine_for(url)
    with session_scope(engine) as session:
        row = record_feedback(
            session,
            sender_id="s1",
            channel="telegram",
            procedure_code=None,
            helpful=False,
            comment="sai",
        )
        assert row.id is not None  # flushed
    with session_scope(engine) as session:
        (stored,) = session.scalars(select(Feedback)).all()
    assert (
        stored.sender_id,
        stored.channel,
        stored.procedure_code,
        stored.helpful,
        stored.comment,
    ) == (
        "s1",
        "telegram",
        None,
        False,
        "sai",
    )
    assert stored.created_at is not None


def test_open_ticket_reuses_the_open_one_per_sender(url: str) -> None:
    engine = engine_for(url)
    with session_scope(engine) as session:
        first = open_ticket(
            session,
            sender_id="s1",
            channel="web",
            reason="request",
            procedure_code="1.001193",
            last_message="khai sinh ở đâu",
        )
        first_id = first.id
    with session_scope(engine) as session:
        again = open_ticket(
            session,
            sender_id="s1",
            channel="web",
            reason="fallback",
            procedure_code=None,
            last_message="",
        )
        assert again.id == first_id
        assert again.last_message == "khai sinh ở đâu"  # an empty message keeps the old one
        assert again.reason == "request"
    with session_scope(engine) as session:
        updated = open_ticket(
            session,
            sender_id="s1",
            channel="web",
            reason="request",
            procedure_code=None,
            last_message="lệ phí bao nhiêu",
        )
        assert updated.id == first_id
    with session_scope(engine) as session:
        (ticket,) = session.scalars(select(HandoffTicket)).all()
        assert ticket.last_message == "lệ phí bao nhiêu" and ticket.status == "open"
        ticket.status = "closed"
    with session_scope(engine) as session:
        fresh = open_ticket(
            session,
            sender_id="s1",
            channel="web",
            reason="request",
            procedure_code=None,
            last_message="lại hỏi",
        )
        assert fresh.id != first_id
        other = open_ticket(
            session,
            sender_id="s2",
            channel="web",
            reason="request",
            procedure_code=None,
            last_message="x",
        )
        assert other.id not in (first_id, fresh.id)
    with session_scope(engine) as session:
        assert len(session.scalars(select(HandoffTicket)).all()) == 3


def test_session_scope_rolls_back_on_error(url: str) -> None:
    engine = engine_for(url)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        record_feedback(session, sender_id="s1", channel="web", procedure_code=None, helpful=True)
        raise RuntimeError("boom")
    with session_scope(engine) as session:
        assert session.scalars(select(Feedback)).all() == []


def test_engine_for_is_cached_by_url(url: str, tmp_path: Path) -> None:
    assert engine_for(url) is engine_for(url)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert engine_for(other) is not engine_for(url)


def _upgrade_in_a_process(url: str) -> None:
    upgrade(url)


def test_services_starting_together_can_all_migrate_a_fresh_database(tmp_path: Path) -> None:
    import multiprocessing  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    processes = [multiprocessing.get_context("spawn").Process(target=_upgrade_in_a_process, args=(url,))
                 for _ in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0, 0]
    assert TABLES <= set(inspect(engine_for(url)).get_table_names())


def test_the_migration_scopes_zalo_and_telegram_conversations_by_channel(tmp_path: Path) -> None:
    import json  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, revision="0003")
    engine = engine_for(url)

    def user_event(sender: str, channel: str) -> dict[str, object]:
        return {"sender": sender, "data": json.dumps({"event": "user", "text": "hi", "input_channel": channel})}

    with engine.begin() as conn:  # Rasa's table, as its SQL tracker store creates it
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
                          "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
                          "action_name VARCHAR(255), data TEXT)"))
        for row in (user_event("123", "zalo"), user_event("555", "telegram"), user_event("web-a", "web"),
                    user_event("777", "telegram"), user_event("777", "rest")):
            conn.execute(text("INSERT INTO events (sender_id, type_name, data) VALUES (:sender, 'user', :data)"), row)
        conn.execute(text("INSERT INTO events (sender_id, type_name, data) VALUES ('123', 'bot', '{}')"))
    with session_scope(engine) as session:
        open_ticket(session, sender_id="123", channel="zalo", reason="request", procedure_code=None, last_message="x")
        open_ticket(session, sender_id="web-a", channel="web", reason="request", procedure_code=None, last_message="y")
        record_feedback(session, sender_id="555", channel="telegram", procedure_code="1.001193", helpful=True)
    upgrade(url)
    with engine.connect() as conn:
        senders = sorted(set(conn.execute(text("SELECT sender_id FROM events")).scalars()))
        tickets = sorted(conn.execute(text("SELECT sender_id FROM handoff_ticket")).scalars())
        feedback = conn.execute(text("SELECT sender_id FROM feedback")).scalars().all()
    # a sender with messages from two channels (a web client that chose a chat's id) is left as it was
    assert senders == ["777", "telegram:555", "web-a", "zalo:123"]
    assert tickets == ["web-a", "zalo:123"] and feedback == ["telegram:555"]
    with engine.connect() as conn:  # every event of the conversation moved, the bot's too
        assert conn.execute(text("SELECT count(*) FROM events WHERE sender_id = 'zalo:123'")).scalar() == 2
    from alembic import command  # noqa: PLC0415

    command.downgrade(alembic_config(url), "0003")  # and back
    with engine.connect() as conn:
        assert sorted(set(conn.execute(text("SELECT sender_id FROM events")).scalars())) == ["123", "555", "777", "web-a"]
