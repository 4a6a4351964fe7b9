"""Rasa's SQL tracker store, configured by one URL from the settings."""

from __future__ import annotations

from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine.url import make_url

from connectors.settings import get_settings


class UrlSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose connection comes from ``TRACKER_STORE_URL``.

    ``sqlite:///build/tracker.db`` (the default) or
    ``postgresql://user:password@host:5432/tthc``.
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
