"""``tthc admin create-user`` and ``tthc console purge``; migrations match the models."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from console.db import engine_for, session_scope
from console.migrate import upgrade
from console.models import Base, StaffUser
from console.users import authenticate
from tthc import cli
from tthc.settings import get_settings


@pytest.fixture()
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'tthc.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_create_user_stores_a_hash_and_refuses_weak_or_duplicate(database: str, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("mot-mat-khau-dai\n"))
    assert cli.main(["admin", "create-user", "quantri", "--password-stdin"]) == 0
    with session_scope(engine_for(database)) as session:
        (user,) = session.scalars(select(StaffUser)).all()
        assert user.role == "admin" and "mot-mat-khau-dai" not in user.password_hash
        assert user.password_hash.startswith("$argon2")
        assert authenticate(session, "quantri", "mot-mat-khau-dai") is not None
        assert authenticate(session, "quantri", "sai-mat-khau-roi") is None
    assert cli.main(["admin", "create-user", "quantri", "--password", "mot-mat-khau-khac"]) == 1
    assert cli.main(["admin", "create-user", "canbo", "--role", "clerk", "--password", "ngan"]) == 1
    assert "at least 10" in capsys.readouterr().err


def test_purge_runs_from_the_command_line(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["console", "purge", "--days", "30"]) == 0
    assert '"feedback": 0' in capsys.readouterr().out


def test_the_migrations_describe_the_models_exactly(database: str) -> None:
    upgrade(database)
    with engine_for(database).connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []
