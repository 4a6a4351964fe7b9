"""Rasa's SQL tracker store, configured by one URL from the settings, and told on failure.

Rasa wraps every tracker store in ``FailSafeTrackerStore``, which swallows errors and
falls back to memory: a message would then be answered while nothing was saved. This
store records each failure in the ``StoreHealth`` of the request being handled
(``watch_store()``), so the channels can answer 503 (REST, web) or process the message
again later (Zalo, Telegram) instead of acknowledging a message that was not stored.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import bindparam, func, insert, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.orm import sessionmaker

from connectors.settings import get_settings
from tthc_data.engine import engine_for


@dataclass
class StoreHealth:
    """Whether the conversation store failed while one message was being handled."""

    failed: bool = False
    error: str = ""


_health: ContextVar[StoreHealth | None] = ContextVar("tthc_store_health", default=None)


def watch_store() -> StoreHealth:
    """Watch the store for the message about to be handled (tasks started after inherit it)."""
    health = StoreHealth()
    _health.set(health)
    return health


def _failed(error: Exception) -> None:
    health = _health.get()
    if health is not None:
        health.failed = True
        health.error = repr(error)[:300]


class _StoredOnce:
    """An event as it is stored: a user message's metadata once, not again in its parse data.

    Rasa copies the metadata into ``parse_data``, and puts it back there when it loads the
    event, so nothing is lost by keeping one copy."""

    def __init__(self, event: Event) -> None:
        self.event = event
        self.type_name = event.type_name

    def as_dict(self) -> dict[str, Any]:
        data = self.event.as_dict()
        parse_data, metadata = data.get("parse_data"), data.get("metadata")
        if isinstance(parse_data, dict) and isinstance(parse_data.get("metadata"), dict) and isinstance(metadata, dict):
            # the event's own copy has everything (Rasa adds the model's id to it)
            if all(key in metadata and metadata[key] == value for key, value in parse_data["metadata"].items()):
                data["parse_data"] = {key: value for key, value in parse_data.items() if key != "metadata"}
        return data


# The number of a tracker's events already in the store, kept on the tracker object between
# its retrieval and its save (Rasa's lock store holds the conversation in between).
_STORED = "_tthc_stored_events"


class UrlSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose connection comes from the settings.

    ``DATABASE_URL`` (or ``TRACKER_STORE_URL`` if set): ``sqlite:///build/tthc.db`` by
    default, or ``postgresql://user:password@host:5432/tthc``. A SQLite file is used in WAL
    mode with ``synchronous=NORMAL`` through kept-open connections (:func:`tthc_data.engine.make_engine`).
    """

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,  # passed by Rasa from the endpoint's url; unused
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        url = make_url(kwargs.pop("url", None) or get_settings().conversations_url)
        super().__init__(
            domain=domain,
            dialect=url.drivername,
            host=url.host,
            port=url.port,
            db=url.database or "rasa.db",
            username=url.username,
            password=url.password,
            event_broker=event_broker,
            query=dict(url.query) or None,
        )
        rasa_engine: Engine = self.engine  # type: ignore[has-type]  # Rasa leaves it untyped
        if rasa_engine.url.database not in (None, "", ":memory:"):
            # the process's one engine for this database (tthc_data.engine), shared with the
            # channels' queues, instead of the one Rasa made
            engine = engine_for(rasa_engine.url.render_as_string(hide_password=False))
            rasa_engine.dispose()
            self.engine = engine
            self.sessionmaker = sessionmaker(bind=engine)
        # Rasa builds its ORM query (with the session-start sub-query) for every message,
        # and SQLAlchemy derives its cache key each time: built once, the key is kept.
        table = self.SQLEvent.__table__
        sender = bindparam("sender_id")
        session_start = (select(func.max(table.c.timestamp))
                         .where(table.c.sender_id == sender, table.c.type_name == SessionStarted.type_name)
                         .scalar_subquery())
        self._all_events = select(table.c.data).where(table.c.sender_id == sender).order_by(table.c.id)
        in_session = (table.c.sender_id == sender, or_(table.c.timestamp >= session_start, session_start.is_(None)))
        self._session_events = select(table.c.data).where(*in_session).order_by(table.c.id)
        self._session_count = select(func.count(table.c.id)).where(*in_session)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        """Rasa's retrieve (the events of the last session, or of all sessions, in the order
        stored) with statements built once."""
        statement = self._all_events if fetch_events_from_all_sessions else self._session_events
        with self.session_scope() as session:
            events = [json.loads(data) for data in session.execute(statement, {"sender_id": sender_id}).scalars()]
        if not self.domain or not events:
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    def init_tracker(self, sender_id: str) -> DialogueStateTracker:
        """A new tracker: Rasa makes one only when the store holds none for ``sender_id``
        (``create_tracker``), so none of its events are stored yet and its first save need
        not count them. (Rasa's fail-safe wrapper, around the store in the server, creates
        its trackers itself: their first save counts, with the statement built once.)"""
        tracker = super().init_tracker(sender_id)
        setattr(tracker, _STORED, 0)
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Any]:
        """The events not yet stored, each storing the message's metadata once.

        Rasa counts the stored events of the conversation's session with a query it builds
        on every save; a tracker this store created, retrieved or saved knows that number
        already, and any other is counted with the same query built once."""
        stored = getattr(tracker, _STORED, None)
        if stored is None:
            stored = session.execute(self._session_count, {"sender_id": tracker.sender_id}).scalar_one()
        for event in itertools.islice(tracker.events, stored, len(tracker.events)):
            yield _StoredOnce(event)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save with the new events in one INSERT (not one ORM object each), committed
        before the reply goes out."""
        try:
            await self.stream_events(tracker)
            with self.session_scope() as session:
                rows = []
                for stored in self._additional_events(session, tracker):
                    data = stored.as_dict()
                    intent = (data.get("parse_data") or {}).get("intent") or {}
                    rows.append({
                        "sender_id": tracker.sender_id,
                        "type_name": stored.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": intent.get(INTENT_NAME_KEY),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    })
                if rows:
                    session.execute(insert(self.SQLEvent.__table__), rows)
                session.commit()
            setattr(tracker, _STORED, len(tracker.events))
        except Exception as error:
            _failed(error)
            raise

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        try:
            tracker = await super().retrieve(sender_id)
        except Exception as error:
            _failed(error)
            raise
        if tracker is not None:
            setattr(tracker, _STORED, len(tracker.events))
        return tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        try:
            return await super().retrieve_full_tracker(conversation_id)
        except Exception as error:
            _failed(error)
            raise
