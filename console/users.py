"""Staff accounts: hashed passwords (Argon2 via pwdlib), roles, the audit log."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from pwdlib import PasswordHash
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.sessions import end_user_sessions
from tthc_data.tables import AuditLog, StaffUser, as_utc, utc_now

ROLES = ("admin", "clerk")
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHash.recommended()
# Verified against when the user does not exist, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0000")


# Failed logins counted over this window (from the audit log, so every web replica agrees).
LOGIN_WINDOW = dt.timedelta(minutes=15)
# (failures allowed, first wait in seconds, longest wait): after that many failures the next
# attempt must wait, doubling with each further failure. One account from one address is
# the guesser's case; one account from anywhere is capped short, so that an attacker
# elsewhere can delay a real clerk by a minute at most; one address across accounts catches
# a sweep over user names.
LIMIT_ACCOUNT_AND_ADDRESS = (5, 30.0, 900.0)
LIMIT_ACCOUNT = (30, 5.0, 60.0)
LIMIT_ADDRESS = (20, 30.0, 900.0)


class UserError(ValueError):
    """A user cannot be created as asked (clear message for the CLI and the console)."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(session: Session, username: str, password: str, role: str = "clerk") -> StaffUser:
    username = username.strip()
    if not username or len(username) > 64:
        raise UserError("the user name must have 1 to 64 characters")
    if role not in ROLES:
        raise UserError(f"the role must be one of: {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalars(select(StaffUser).where(StaffUser.username == username)).first() is not None:
        raise UserError(f"a user named {username!r} exists already")
    user = StaffUser(username=username, password_hash=hash_password(password), role=role, active=True)
    session.add(user)
    session.flush()
    audit(session, "system", "user.create", username, {"role": role})
    return user


def set_password(session: Session, username: str, password: str, actor: str = "system") -> StaffUser:
    """Give ``username`` a new password and end every login it has (a stolen session too)."""
    user = session.scalars(select(StaffUser).where(StaffUser.username == username.strip())).first()
    if user is None:
        raise UserError(f"there is no user named {username.strip()!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = hash_password(password)
    ended = end_user_sessions(session, user.id, "password")
    audit(session, actor, "user.password", user.username, {"sessions_ended": ended})
    return user


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The active user with this name and password, or None."""
    user = session.scalars(select(StaffUser).where(StaffUser.username == username.strip())).first()
    if user is None or not user.active:
        _hasher.verify(password, _DUMMY_HASH)
        return None
    valid, new_hash = _hasher.verify_and_update(password, user.password_hash)
    if not valid:
        return None
    if new_hash:  # the recommended parameters changed since the password was set
        user.password_hash = new_hash
    return user


def audit(session: Session, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None) -> None:
    session.add(AuditLog(actor=actor, action=action, target=target,
                         detail=json.dumps(detail or {}, ensure_ascii=False)))


def _wait(failures: Sequence[dt.datetime], limit: tuple[int, float, float], now: dt.datetime) -> float:
    allowed, first, longest = limit
    if len(failures) < allowed:
        return 0.0
    wait = min(longest, first * 2 ** (len(failures) - allowed))
    return max(0.0, (max(failures) - now).total_seconds() + wait)


def login_wait(session: Session, username: str, address: str, now: dt.datetime | None = None) -> float:
    """Seconds before ``username`` may try to log in again from ``address`` (0: now)."""
    now = now or utc_now()
    rows = session.execute(select(AuditLog.actor, AuditLog.detail, AuditLog.at).where(
        AuditLog.action == "login.failed", AuditLog.at >= now - LOGIN_WINDOW)).all()
    account: list[dt.datetime] = []
    pair: list[dt.datetime] = []
    place: list[dt.datetime] = []
    for actor, detail, at in rows:
        try:
            where = json.loads(detail or "{}").get("address")
        except (ValueError, AttributeError):
            where = None
        at = as_utc(at)
        if actor == username:
            account.append(at)
            if where == address:
                pair.append(at)
        if where == address:
            place.append(at)
    return max(_wait(pair, LIMIT_ACCOUNT_AND_ADDRESS, now), _wait(account, LIMIT_ACCOUNT, now),
               _wait(place, LIMIT_ADDRESS, now))


def attempt_login(session: Session, username: str, password: str, address: str) -> tuple[StaffUser | None, float]:
    """Log in, within the limits: (the user or None, seconds to wait when refused unchecked).

    A refused attempt checks no password; every checked attempt is in the audit log, and so
    is the failure that starts a wait."""
    name = username.strip()[:64] or "?"
    wait = login_wait(session, name, address)
    if wait > 0:
        return None, wait
    user = authenticate(session, username, password)
    if user is not None:
        audit(session, name, "login", detail={"address": address})
        return user, 0.0
    audit(session, name, "login.failed", detail={"address": address})
    session.flush()
    after = login_wait(session, name, address)
    if after > 0:
        audit(session, name, "login.locked", detail={"address": address, "seconds": round(after)})
    return None, 0.0
