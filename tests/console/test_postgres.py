"""The console's data and the shared channel queues on a real PostgreSQL server (SQLAlchemy 2)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from tthc_data.channels import queue_messages, shared_store
from tthc_data.engine import engine_for, session_scope
from tthc_data.migrate import upgrade
from tthc_data.staff import open_ticket
from tthc_data.tables import HandoffTicket

pytestmark = pytest.mark.slow


def test_migrations_and_tickets_on_postgresql(postgres_url: str) -> None:
    upgrade(postgres_url)
    upgrade(postgres_url)  # idempotent
    engine = engine_for(postgres_url)
    assert engine.dialect.name == "postgresql"
    assert {"feedback", "handoff_ticket", "staff_user", "alembic_version"} <= set(inspect(engine).get_table_names())
    with session_scope(engine) as session:
        first = open_ticket(session, sender_id="pg-1", channel="zalo", reason="request", procedure_code="1.001193",
                            last_message="cho tôi gặp cán bộ")
        again = open_ticket(session, sender_id="pg-1", channel="zalo", reason="fallback", procedure_code=None,
                            last_message="alo")
        assert again.id == first.id  # one open ticket per citizen
    with session_scope(engine) as session:
        (ticket,) = session.scalars(select(HandoffTicket)).all()
    assert (ticket.channel, ticket.last_message, ticket.status) == ("zalo", "alo", "open")


def test_the_console_runtime_queues_replies_in_the_shared_outbox_on_postgresql(postgres_url: str) -> None:
    upgrade(postgres_url)  # console tables and channel tables side by side in one database
    store = shared_store(postgres_url)
    ids = queue_messages(store, channel="telegram", recipient="4242", origin="staff",
                         messages=[{"text": "Cán bộ: <b> đã nhận hồ sơ",
                                    "buttons": [{"title": "Cảm ơn", "payload": "/thank"}]}])
    (row,) = store.all_messages("telegram")
    assert row.id == ids[0] and row.origin == "staff" and row.status == "pending"
    assert row.message["text"] == "Cán bộ: &lt;b&gt; đã nhận hồ sơ"
    token = row.message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert store.choice("telegram", "4242", token) == "/thank"
