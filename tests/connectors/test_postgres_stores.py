"""The Rasa runtime's stores on a real PostgreSQL server: conversations and channel queues."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from connectors.settings import get_settings
from connectors.tracker_store import UrlSQLTrackerStore
from servers.database import upgrade
from tthc_data.channels import ChannelStore, shared_store
from tthc_data.engine import make_engine

pytestmark = [pytest.mark.rasa, pytest.mark.slow]

DOMAIN = Domain.from_yaml('version: "3.1"\nintents:\n- ask_fee\n')


def test_conversations_are_saved_and_read_back_on_postgresql(postgres_url: str, monkeypatch: Any) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    get_settings.cache_clear()
    try:
        async def scenario() -> Any:
            store = UrlSQLTrackerStore(domain=DOMAIN)
            tracker = DialogueStateTracker.from_events("pg-citizen", [
                ActionExecuted("action_listen"),
                UserUttered("lệ phí làm căn cước bao nhiêu", {"name": "ask_fee", "confidence": 0.91}),
                BotUttered("Dạ, lệ phí cấp căn cước lần đầu được miễn."),
            ])
            await store.save(tracker)
            return await UrlSQLTrackerStore(domain=DOMAIN).retrieve("pg-citizen"), store.engine.dialect.name

        tracker, dialect = asyncio.run(scenario())
    finally:
        get_settings.cache_clear()
    assert dialect == "postgresql"
    assert tracker.latest_message.text == "lệ phí làm căn cước bao nhiêu"
    assert tracker.latest_message.intent["name"] == "ask_fee"
    assert [e.text for e in tracker.events if isinstance(e, BotUttered)] == ["Dạ, lệ phí cấp căn cước lần đầu được miễn."]


def test_channel_queues_work_the_same_on_postgresql(postgres_url: str) -> None:
    upgrade(postgres_url)  # as `tthc db upgrade` does before the services start
    store = shared_store(postgres_url)
    assert store.accept("zalo", "m1", "u", {"text": "xin chào"}) is True
    assert store.accept("zalo", "m1", "u", {"text": "xin chào"}) is False
    first, second = store.enqueue("zalo", "u", [{"text": "1"}, {"text": "2"}])
    assert [m.id for m in store.claim_due(["zalo"], lease=30)] == [first]
    assert store.claim_due(["zalo"], lease=30) == []  # in order: the second waits
    store.mark_sent(first)
    assert [m.id for m in store.claim_due(["zalo"], lease=30)] == [second]
    assert ChannelStore(make_engine(postgres_url)).all_messages("zalo")[0].message == {"text": "1"}  # another process
