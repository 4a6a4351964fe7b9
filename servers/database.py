"""Databases with every table, as ``tthc db upgrade`` leaves them, for tests and benchmarks.

The migrations run in ``.venv`` (Alembic, SQLAlchemy 2); from the Rasa runtime they run as
the command a deployment runs, ``.venv/bin/tthc db upgrade --url URL``. A fresh SQLite file
is a copy of one migrated once per process.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from servers.process import REPO_ROOT

APP_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest migration (either runtime)."""
    if importlib.util.find_spec("alembic") is not None:  # .venv
        from tthc_data.migrate import upgrade as migrate  # noqa: PLC0415 - .venv only

        migrate(url)
        return
    subprocess.run([str(APP_PYTHON), "-m", "tthc.cli", "db", "upgrade", "--url", url],
                   cwd=REPO_ROOT, check=True, capture_output=True, timeout=300)


@lru_cache(maxsize=1)
def _template() -> Path:
    path = Path(tempfile.mkdtemp(prefix="tthc-schema-")) / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def migrated_sqlite(path: Path) -> str:
    """The URL of a new SQLite file at ``path`` with every table (no rows)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_template(), path)
    return f"sqlite:///{path}"
