"""console.users: how long repeated failed logins make the next attempt wait."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy.orm import Session

from console.users import login_wait
from tthc_data.engine import engine_for, session_scope
from tthc_data.migrate import upgrade
from tthc_data.tables import AuditLog

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.timezone.utc)


def failed(session: Session, who: str, address: str, seconds_ago: float) -> None:
    session.add(AuditLog(actor=who, action="login.failed", target="", at=NOW - dt.timedelta(seconds=seconds_ago),
                         detail=json.dumps({"address": address})))
    session.flush()


def test_waits_grow_with_failures_are_capped_and_end(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    upgrade(url)
    with session_scope(engine_for(url)) as session:
        for i in range(4):
            failed(session, "canbo", "1.2.3.4", 100 - i)
        assert login_wait(session, "canbo", "1.2.3.4", NOW) == 0  # four mistakes are allowed
        failed(session, "canbo", "1.2.3.4", 10)
        assert login_wait(session, "canbo", "1.2.3.4", NOW) == 20  # 30 s after the fifth
        assert login_wait(session, "canbo", "1.2.3.4", NOW + dt.timedelta(seconds=21)) == 0
        assert login_wait(session, "canbo", "5.6.7.8", NOW) == 0  # the clerk elsewhere is not held up
        assert login_wait(session, "quantri", "1.2.3.4", NOW) == 0
        failed(session, "canbo", "1.2.3.4", 0)
        assert login_wait(session, "canbo", "1.2.3.4", NOW) == 60  # doubled
        for i in range(10):
            failed(session, "canbo", "1.2.3.4", 0)
        assert login_wait(session, "canbo", "1.2.3.4", NOW) == 900  # at most 15 minutes
        # outside the window nothing counts
        assert login_wait(session, "canbo", "1.2.3.4", NOW + dt.timedelta(minutes=16)) == 0


def test_guesses_from_many_addresses_delay_an_account_by_a_minute_at_most(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    upgrade(url)
    with session_scope(engine_for(url)) as session:
        for i in range(200):
            failed(session, "canbo", f"10.0.{i // 250}.{i % 250}", 1)
        assert 0 < login_wait(session, "canbo", "192.168.1.9", NOW) <= 60


def test_one_address_sweeping_user_names_is_held_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    upgrade(url)
    with session_scope(engine_for(url)) as session:
        for i in range(20):
            failed(session, f"user{i}", "6.6.6.6", 5)
        assert login_wait(session, "someone-else", "6.6.6.6", NOW) == 25
        assert login_wait(session, "someone-else", "7.7.7.7", NOW) == 0
