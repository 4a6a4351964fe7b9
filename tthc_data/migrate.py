"""The Alembic migrations of every table (``tthc db upgrade`` runs :func:`upgrade`, idempotent)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine.url import make_url

from tthc_data.engine import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


logger = logging.getLogger(__name__)


def upgrade(url: str, revision: str = "head", attempts: int = 5) -> None:
    """Bring the database at ``url`` to ``revision``; creates a SQLite file's folder.

    ``tthc db upgrade`` calls it before the services start; when two machines' start
    scripts race on a fresh database, the loser finds the database locked or the tables just
    created, and tries again (by then the migration is recorded and there is nothing left to do).
    """
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, attempts + 1):
        try:
            command.upgrade(alembic_config(url), revision)
            return
        except Exception:
            if attempt == attempts:
                raise
            logger.warning("database migration failed (attempt %d), retrying", attempt, exc_info=True)
            time.sleep(attempt)


def head_revision() -> str:
    """The newest migration's revision."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at; None before the first migration."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


class SchemaOutOfDate(RuntimeError):
    """The database is not at the newest migration."""


def require_current(url: str) -> None:
    """Refuse to serve a database the migrations have not brought up to date."""
    current, head = current_revision(url), head_revision()
    if current != head:
        shown = make_url(url).render_as_string(hide_password=True)
        raise SchemaOutOfDate(f"the database {shown} is at revision {current or '(empty)'}, not {head}: "
                              "run `.venv/bin/tthc db upgrade` before starting the services")
