"""The migrations own every table: they adopt the channel tables an older release made
itself, and what they build is what tthc_data.tables declares (.venv: Alembic)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("alembic", reason="the migrations run in .venv")

from alembic.autogenerate import compare_metadata  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402

from tthc_data.channels import ChannelStore, SchemaMissing  # noqa: E402
from tthc_data.engine import make_engine  # noqa: E402
from tthc_data.migrate import (  # noqa: E402
    SchemaOutOfDate,
    current_revision,
    head_revision,
    require_current,
    upgrade,
)
from tthc_data.tables import metadata  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_migrated_schema_is_the_declared_one(tmp_path: Path) -> None:
    """Every table, column, type, nullability and index of tthc_data.tables, and nothing
    else, is what `upgrade` builds: a table or column added to the code without a migration
    fails here."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []
    assert {"channel_inbox", "channel_outbox", "channel_choices", "channel_tokens",
            "handoff_ticket", "staff_user"} <= set(metadata.tables)


def test_an_older_database_whose_channel_tables_the_rasa_server_made_is_adopted_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    upgrade(url, revision="0004")  # the staff tables as the last release left them
    with sqlite3.connect(path) as db:  # the channel tables as the first release's create_all made them
        db.execute("CREATE TABLE channel_inbox (channel VARCHAR(32) NOT NULL, event_key VARCHAR(128) NOT NULL, "
                   "sender VARCHAR(128) NOT NULL, payload JSON NOT NULL, status VARCHAR(16) NOT NULL, "
                   "received_at FLOAT NOT NULL, lease_until FLOAT NOT NULL, processed_at FLOAT, "
                   "PRIMARY KEY (channel, event_key))")
        db.execute("INSERT INTO channel_inbox VALUES ('zalo', 'old-1', 'u', '{}', 'received', 1, 1, NULL)")
        db.execute("CREATE TABLE channel_tokens (name VARCHAR(64) NOT NULL PRIMARY KEY, value TEXT NOT NULL, "
                   "expires_at FLOAT, updated_at FLOAT NOT NULL)")
        db.execute("INSERT INTO channel_tokens VALUES ('zalo_refresh', 'r-123', NULL, 1)")
    with pytest.raises(SchemaOutOfDate, match="tthc db upgrade"):
        require_current(url)

    upgrade(url)

    assert current_revision(url) == head_revision()
    require_current(url)
    store = ChannelStore(make_engine(url))
    assert store.token("zalo_refresh") == ("r-123", None)  # kept
    assert [e.key for e in store.claim_unprocessed("zalo")] == ["old-1"]  # kept, and claimable
    assert store.record_failure("zalo", "old-1", "boom", 1) is True  # the added columns work
    assert store.enqueue("zalo", "u", [{"text": "made by the migration"}])  # a table that was missing


def test_tthc_db_upgrade_makes_a_database_the_channels_accept(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'tthc.db'}"
    engine = make_engine(url)
    with pytest.raises(SchemaMissing):
        ChannelStore(engine)
    command = [sys.executable, "-m", "tthc.cli", "db"]
    checked = subprocess.run([*command, "current", "--url", url], capture_output=True, text=True, cwd=REPO_ROOT,
                             timeout=120)
    assert checked.returncode == 1  # an empty database is not up to date
    done = subprocess.run([*command, "upgrade", "--url", url, "--json"], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"from": null' in done.stdout and f'"to": "{head_revision()}"' in done.stdout
    ChannelStore(engine).enqueue("web", "a", [{"text": "ok"}])
    again = subprocess.run([*command, "current", "--url", url], capture_output=True, text=True, cwd=REPO_ROOT,
                           timeout=120)
    assert again.returncode == 0 and again.stdout.startswith(head_revision())


@pytest.mark.parametrize("service", [
    [sys.executable, "-m", "actions"],
    [sys.executable, "-m", "web"],
    [str(REPO_ROOT / ".venv-rasa" / "bin" / "python"), "-m", "connectors.serve"],
], ids=["actions", "web", "rasa"])
def test_a_service_started_on_a_database_not_yet_upgraded_stops_saying_what_to_run(
        service: list[str], tmp_path: Path) -> None:
    if not Path(service[0]).exists():
        pytest.skip("needs .venv-rasa: run `make test`")
    import os  # noqa: PLC0415

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}", "ACTION_PORT": "1", "WEB_PORT": "2",
           "RASA_PORT": "1"}  # never reached: the check comes first
    result = subprocess.run(service, capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=300)
    assert result.returncode == 1
    assert "tthc db upgrade" in result.stderr.splitlines()[-1]
