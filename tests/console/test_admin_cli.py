"""``tthc admin create-user`` and ``tthc console purge``; migrations match the models."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from console.sessions import Limits, session_user, start_session
from console.users import authenticate
from tthc import cli
from tthc_data.engine import engine_for, session_scope
from tthc_data.migrate import upgrade
from tthc_data.tables import Base, StaffUser


@pytest.fixture()
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'tthc.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url  # read by the command line tool from the environment, as in use


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


def test_set_password_replaces_the_hash_and_ends_the_accounts_logins(
        database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["admin", "create-user", "canbo", "--role", "clerk", "--password", "mat-khau-cu-dai"]) == 0
    limits = Limits(lifetime=dt.timedelta(hours=8), idle=dt.timedelta(hours=1))
    with session_scope(engine_for(database)) as session:
        user = session.scalars(select(StaffUser)).one()
        key = start_session(session, user, "10.0.0.1", "browser")
    with session_scope(engine_for(database)) as session:
        assert session_user(session, key, limits) is not None
    monkeypatch.setattr("sys.stdin", io.StringIO("mat-khau-moi-dai\n"))
    assert cli.main(["admin", "set-password", "canbo", "--password-stdin"]) == 0
    with session_scope(engine_for(database)) as session:
        assert session_user(session, key, limits) is None  # the open login has ended
        assert authenticate(session, "canbo", "mat-khau-moi-dai") is not None
        assert authenticate(session, "canbo", "mat-khau-cu-dai") is None
    monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
    assert cli.main(["admin", "set-password", "nobody", "--password-stdin"]) == 1
    assert "no user named 'nobody'" in capsys.readouterr().err


def test_purge_runs_from_the_command_line(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["console", "purge", "--days", "30"]) == 0
    assert '"feedback": 0' in capsys.readouterr().out


def test_the_migrations_describe_the_models_exactly(database: str) -> None:
    upgrade(database)
    with engine_for(database).connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []
