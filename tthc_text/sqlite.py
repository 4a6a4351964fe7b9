"""How the conversation store (Rasa's tracker store) and the console open the shared SQLite
file (standard library only: both runtimes).

WAL lets readers (the console, the action server) go on while Rasa writes; ``synchronous=NORMAL``
in WAL mode keeps every commit across a crash of the process and syncs the disk at checkpoints
instead of at each commit; the busy timeout makes a process wait for another's lock rather than
fail.
"""

from __future__ import annotations

from typing import Any

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=30000",
)


def apply_pragmas(dbapi_connection: Any) -> None:
    """Run :data:`PRAGMAS` on a new DB-API connection (a SQLAlchemy ``connect`` listener)."""
    cursor = dbapi_connection.cursor()
    try:
        for pragma in PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()
