"""Apply the Alembic migrations of the staff data: ``upgrade(url)`` (idempotent)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


logger = logging.getLogger(__name__)


def upgrade(url: str, revision: str = "head", attempts: int = 5) -> None:
    """Bring the database at ``url`` to ``revision``; creates a SQLite file's folder.

    The action server and the web front both call this at start; when they race on a
    fresh database, the loser finds the database locked or the tables just created, and
    tries again (by then the migration is recorded and there is nothing left to do).
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
