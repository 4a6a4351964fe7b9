"""connectors.tracker_store.UrlSQLTrackerStore: Rasa's SQL store configured by one URL."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from connectors.settings import get_settings
from connectors.tracker_store import UrlSQLTrackerStore

pytestmark = pytest.mark.rasa

DOMAIN = Domain.from_yaml('version: "3.1"\nintents:\n- hoi_thu_tuc\n')


@pytest.fixture()
def tracker_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    path = tmp_path / "t.db"
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def conversation(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen"),
            UserUttered("Làm giấy khai sinh ở đâu?", {"name": "hoi_thu_tuc", "confidence": 0.93}),
        ],
    )


def test_the_store_uses_the_url_from_the_settings(tracker_db: Path) -> None:
    store = UrlSQLTrackerStore(domain=DOMAIN)
    assert store.engine.url.drivername == "sqlite"
    assert Path(store.engine.url.database) == tracker_db
    assert tracker_db.exists()


def test_save_and_retrieve_a_conversation(tracker_db: Path) -> None:
    async def scenario() -> tuple[Any, Any, list[str]]:
        store = UrlSQLTrackerStore(domain=DOMAIN)
        await store.save(conversation("citizen-1"))
        # A second store on the same URL (as after a restart) sees the conversation.
        again = UrlSQLTrackerStore(domain=DOMAIN)
        return await again.retrieve("citizen-1"), await again.retrieve("nobody"), list(await again.keys())

    tracker, missing, keys = asyncio.run(scenario())
    assert tracker is not None
    assert tracker.latest_message.text == "Làm giấy khai sinh ở đâu?"
    assert tracker.latest_message.intent["name"] == "hoi_thu_tuc"
    assert [type(e) for e in tracker.events] == [ActionExecuted, UserUttered]
    assert missing is None
    assert keys == ["citizen-1"]
    # The events really are in the SQLite file the URL names.
    with sqlite3.connect(tracker_db) as db:
        rows = db.execute("select sender_id, type_name from events order by id").fetchall()
    assert ("citizen-1", "user") in rows


def test_a_messages_metadata_is_stored_once_and_comes_back_whole(tracker_db: Path) -> None:
    metadata = {"client": "MARKER-" + "x" * 1000}
    # as Rasa makes it: the client's metadata in the parse data, and again, with the model's
    # id added, in the event's own
    intent = {"name": "hoi_thu_tuc", "confidence": 0.9}
    message = UserUttered("Làm giấy khai sinh ở đâu?", intent, metadata={**metadata, "model_id": "m-1"},
                          parse_data={"intent": intent, "entities": [], "text": "Làm giấy khai sinh ở đâu?",
                                      "metadata": dict(metadata)})
    assert message.parse_data["metadata"] == metadata and "model_id" not in message.parse_data["metadata"]

    async def scenario() -> Any:
        store = UrlSQLTrackerStore(domain=DOMAIN)
        await store.save(DialogueStateTracker.from_events("citizen-m", [ActionExecuted("action_listen"), message]))
        return await UrlSQLTrackerStore(domain=DOMAIN).retrieve("citizen-m")

    tracker = asyncio.run(scenario())
    with sqlite3.connect(tracker_db) as db:
        (data,) = db.execute("select data from events where type_name = 'user'").fetchone()
    assert data.count("MARKER-") == 1
    loaded = tracker.latest_message
    assert loaded.metadata == {**metadata, "model_id": "m-1"}
    assert loaded.parse_data["metadata"]["client"] == metadata["client"]
    assert loaded.intent["name"] == "hoi_thu_tuc"


def _turn(text: str) -> list[Any]:
    return [UserUttered(text, {"name": "hoi_thu_tuc", "confidence": 0.9}), BotUttered(f"trả lời: {text}"),
            ActionExecuted("action_listen")]


def test_each_turn_is_stored_once_in_order_across_saves_replicas_and_sessions(tracker_db: Path) -> None:
    """The store knows how many of a tracker's events it holds (no count query per save): a
    tracker saved after every turn, then retrieved by another replica and extended, then given
    a new session, leaves every event exactly once, in order, with its intent and action."""

    async def scenario() -> tuple[Any, Any]:
        one, two = UrlSQLTrackerStore(domain=DOMAIN), UrlSQLTrackerStore(domain=DOMAIN)
        tracker = DialogueStateTracker.from_events("citizen-t", [ActionExecuted("action_listen")])
        for text in ("câu 1", "câu 2"):
            for event in _turn(text):
                tracker.update(event)
            await one.save(tracker)
        await one.save(tracker)  # nothing new: nothing written
        other = await two.retrieve("citizen-t")  # another replica takes the next message
        for event in _turn("câu 3"):
            other.update(event)
        await two.save(other)
        later = await one.retrieve("citizen-t")  # the first replica sees all of it
        for event in [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
                      *_turn("câu 4")]:
            later.update(event)
        await one.save(later)
        return await two.retrieve("citizen-t"), await two.retrieve_full_tracker("citizen-t")

    current, full = asyncio.run(scenario())
    with sqlite3.connect(tracker_db) as db:
        rows = db.execute("select type_name, intent_name, action_name, data from events order by id").fetchall()
    users = [r for r in rows if r[0] == "user"]
    assert [json.loads(u[3])["text"] for u in users] == ["câu 1", "câu 2", "câu 3", "câu 4"]
    assert ["câu 1", "câu 2", "câu 3", "câu 4"] == [e.text for e in full.events if isinstance(e, UserUttered)]
    assert len(rows) == len(full.events) == 1 + 3 * 3 + 3 + 3
    assert all(u[1] == "hoi_thu_tuc" for u in users)
    assert [r[2] for r in rows if r[0] == "action"][:2] == ["action_listen", "action_listen"]
    # the current session starts at the last SessionStarted
    assert [e.text for e in current.events if isinstance(e, UserUttered)] == ["câu 4"]


def test_a_new_conversation_is_stored_whole_without_counting_what_is_stored(tracker_db: Path) -> None:
    """Rasa creates a tracker when none is stored; the first save writes all its events, and
    no save of the conversation counts the stored events again."""
    from sqlalchemy import event  # noqa: PLC0415

    async def scenario(store: UrlSQLTrackerStore) -> DialogueStateTracker:
        tracker = await store.get_or_create_tracker("citizen-new")
        for e in _turn("câu 1"):
            tracker.update(e)
        await store.save(tracker)
        again = await store.get_or_create_tracker("citizen-new")  # stored now: retrieved, not created
        assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["câu 1"]
        return again

    store = UrlSQLTrackerStore(domain=DOMAIN)
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    again = asyncio.run(scenario(store))
    with sqlite3.connect(tracker_db) as db:
        rows = db.execute("select type_name, action_name from events where sender_id = 'citizen-new' order by id").fetchall()
    assert rows[0] == ("action", "action_listen") and len(rows) == 1 + 3
    assert not [s for s in statements if "count(" in s.lower()], statements

    # A tracker the store did not make (Rasa's fail-safe wrapper makes its own, the HTTP API
    # sends whole ones) is counted: only what is not stored yet is written.
    elsewhere = DialogueStateTracker.from_events("citizen-new", [*again.events, *_turn("câu 2")], DOMAIN.slots)
    asyncio.run(store.save(elsewhere))
    wrapped = FailSafeTrackerStore(store)
    created = asyncio.run(wrapped.get_or_create_tracker("citizen-other"))
    for e in _turn("câu 3"):
        created.update(e)
    asyncio.run(wrapped.save(created))
    asyncio.run(wrapped.save(created))
    with sqlite3.connect(tracker_db) as db:
        users = db.execute("select sender_id, data from events where type_name = 'user' order by id").fetchall()
        count = db.execute("select count(*) from events").fetchone()[0]
    assert [(sender, json.loads(data)["text"]) for sender, data in users] == [
        ("citizen-new", "câu 1"), ("citizen-new", "câu 2"), ("citizen-other", "câu 3")]
    assert count == (1 + 3 + 3) + (1 + 3)


def test_an_explicit_url_wins_over_the_settings(tracker_db: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    store = UrlSQLTrackerStore(domain=DOMAIN, url=f"sqlite:///{other}")
    assert Path(store.engine.url.database) == other
    assert other.exists()
    assert not tracker_db.exists()


def test_rasa_creates_it_from_the_project_endpoints(
    tracker_db: Path, repo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook")
    endpoint = read_endpoint_config(str(repo_root / "bot" / "endpoints.yml"), "tracker_store")
    assert isinstance(endpoint, EndpointConfig)

    async def scenario() -> Any:
        store = TrackerStore.create(endpoint, DOMAIN)
        await store.save(conversation("citizen-2"))
        return store, await store.retrieve("citizen-2")

    store, tracker = asyncio.run(scenario())
    inner = getattr(store, "_tracker_store", store)
    assert isinstance(inner, UrlSQLTrackerStore)
    assert tracker.latest_message.text == "Làm giấy khai sinh ở đâu?"
    assert tracker_db.exists()


def test_a_failure_hidden_by_rasas_fail_safe_wrapper_is_reported(tracker_db: Path) -> None:
    from rasa.core.tracker_store import FailSafeTrackerStore  # noqa: PLC0415

    from connectors.tracker_store import watch_store  # noqa: PLC0415

    async def scenario() -> tuple[bool, bool]:
        store = UrlSQLTrackerStore(domain=DOMAIN)
        safe = FailSafeTrackerStore(store)
        healthy = watch_store()
        await safe.save(conversation("citizen-ok"))
        with sqlite3.connect(tracker_db) as db:
            db.execute("DROP TABLE events")  # the store breaks
        broken = watch_store()
        await safe.save(conversation("citizen-lost"))  # Rasa's wrapper swallows the error...
        return healthy.failed, broken.failed

    healthy, broken = asyncio.run(scenario())
    assert healthy is False
    assert broken is True  # ... but the channel is told


def test_a_sqlite_file_is_used_in_wal_mode_with_normal_sync_and_kept_connections(tracker_db: Path) -> None:
    store = UrlSQLTrackerStore(domain=DOMAIN)
    with store.engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        sync = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    assert (mode, sync) == ("wal", 1)  # 1 = NORMAL
    assert type(store.engine.pool).__name__ == "QueuePool"
    asyncio.run(store.save(conversation("citizen-wal")))
    # another process's plain connection reads what was committed
    with sqlite3.connect(tracker_db) as db:
        assert db.execute("select count(*) from events where sender_id = 'citizen-wal'").fetchone()[0] == 2
