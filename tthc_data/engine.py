"""One way to open the project's database, in both runtimes (SQLAlchemy 1.4 and 2.x).

Every process opens the database through :func:`make_engine` (Rasa's conversation store,
the channels' queues, the action server, the console): the same pool and the same SQLite
pragmas everywhere. A process keeps one engine per URL (:func:`engine_for`) and passes it to
what it creates.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from tthc_text.sqlite import apply_pragmas


def make_engine(url: str | URL) -> Engine:
    """A new engine for ``url``.

    A SQLite file (its folder created if missing) is opened in WAL mode with
    ``synchronous=NORMAL`` and a 30 s busy timeout, through a small pool of kept-open
    connections (SQLAlchemy 1.4 would open one per session); any other database gets a
    pool that checks a connection before handing it out.
    """
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database in (None, "", ":memory:"):
        return create_engine(parsed)
    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, poolclass=QueuePool, pool_size=2, max_overflow=8,
                           connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        apply_pragmas(dbapi_connection)

    return engine


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """The process's engine for ``url`` (one connection pool per database)."""
    return make_engine(url)


def session_factory(engine: Engine) -> sessionmaker:  # type: ignore[type-arg]
    """Sessions on ``engine`` whose objects stay readable after the commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
