"""Staff accounts: hashed passwords (Argon2 via pwdlib), roles, the audit log."""

from __future__ import annotations

import json
from typing import Any

from pwdlib import PasswordHash
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.models import AuditLog, StaffUser

ROLES = ("admin", "clerk")
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHash.recommended()
# Verified against when the user does not exist, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0000")


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
