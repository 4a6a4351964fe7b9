"""Console logins kept server-side (table ``staff_session``).

The signed cookie carries only a random key; the row says who is logged in, since when,
from where, and whether the login has ended. Logout, a password change or an admin ends it
at once, where a cookie alone would work until it expired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tthc_data.tables import StaffSession, StaffUser, as_utc, utc_now

# A request refreshes the login's last activity at most this often (fewer writes).
SEEN_EVERY = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class Limits:
    lifetime: dt.timedelta  # a login lasts at most this long
    idle: dt.timedelta  # ... and ends after this long without activity


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def start_session(session: Session, user: StaffUser, address: str, user_agent: str) -> str:
    """A new login of ``user``: the key for the cookie."""
    key = secrets.token_urlsafe(32)
    session.add(StaffSession(key_hash=_hash(key), user_id=user.id, address=address[:64],
                             user_agent=user_agent[:255]))
    return key


def _expired(row: StaffSession, limits: Limits, now: dt.datetime) -> bool:
    return now - as_utc(row.created_at) > limits.lifetime or now - as_utc(row.seen_at) > limits.idle


def session_user(session: Session, key: str, limits: Limits, now: dt.datetime | None = None) -> StaffUser | None:
    """The active user of the login with this key, or None (ended, expired, unknown)."""
    now = now or utc_now()
    row = session.scalars(select(StaffSession).where(StaffSession.key_hash == _hash(key))).first()
    if row is None or row.ended_at is not None:
        return None
    if _expired(row, limits, now):
        row.ended_at, row.ended_reason = now, "expired"
        return None
    user = session.get(StaffUser, row.user_id)
    if user is None or not user.active:
        return None
    if now - as_utc(row.seen_at) > SEEN_EVERY:
        row.seen_at = now
    return user


def end_session(session: Session, key: str, reason: str) -> None:
    """End the login with this key (logout)."""
    session.execute(update(StaffSession).where(StaffSession.key_hash == _hash(key), StaffSession.ended_at.is_(None))
                    .values(ended_at=utc_now(), ended_reason=reason))


def end_session_by_id(session: Session, session_id: int, reason: str) -> StaffSession | None:
    """End one login (an admin's decision); the row, or None when there is no such login."""
    row = session.get(StaffSession, session_id)
    if row is not None and row.ended_at is None:
        row.ended_at, row.ended_reason = utc_now(), reason
    return row


def end_user_sessions(session: Session, user_id: int, reason: str) -> int:
    """End every login of one user (password changed, account locked): how many."""
    result = session.execute(update(StaffSession).where(StaffSession.user_id == user_id,
                                                        StaffSession.ended_at.is_(None))
                             .values(ended_at=utc_now(), ended_reason=reason))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def active_sessions(session: Session, limits: Limits, now: dt.datetime | None = None) -> list[tuple[StaffSession, str]]:
    """Logins not ended nor expired, newest activity first, with their user names."""
    now = now or utc_now()
    rows = session.execute(select(StaffSession, StaffUser.username).join(StaffUser, StaffUser.id == StaffSession.user_id)
                           .where(StaffSession.ended_at.is_(None)).order_by(StaffSession.seen_at.desc())).all()
    return [(row, name) for row, name in rows if not _expired(row, limits, now)]
