"""What every console route depends on: the console's parts, the logged-in user, CSRF, pages.

The parts (settings, engine, templates, guide library) are made once by
:func:`console.app.create_console` and kept in ``app.state.console``; routes ask for them
with ``Depends``. Handlers that run SQL or hash passwords are plain ``def``: FastAPI runs
them in its thread pool, off the event loop that serves the chat API.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from console import handoff
from console.catalog_review import CatalogReview
from console.guide_library import GuideLibrary
from console.sessions import Limits, session_user
from console.users import audit
from tthc_data.engine import session_scope
from tthc_data.tables import StaffUser
from tthc_settings import Settings

# A row id in a URL: a whole number a database integer holds (larger ones are 422, not 500).
RowId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
MAX_SENDER = 512  # above any channel's limit (128): a look-up of any stored sender id
CHANNELS = ("web", "zalo", "telegram", "rest")


class LoginRequired(Exception):
    pass


class Forbidden(Exception):
    pass


@dataclass(frozen=True)
class Console:
    """The console's parts, made once at start."""

    settings: Settings
    engine: Engine
    templates: Jinja2Templates
    limits: Limits
    library: GuideLibrary
    catalog: CatalogReview

    def page(self, request: Request, name: str, user: StaffUser | None, status_code: int = 200,
             **context: Any) -> Response:
        """A page of the console: the template with the user, the CSRF token and the open tickets."""
        badge = 0
        if user is not None:
            with session_scope(self.engine) as session:
                badge = handoff.open_count(session)
        return self.templates.TemplateResponse(request, name, {"user": user, "csrf": csrf_token(request),
                                                               "badge": badge, **context}, status_code=status_code)

    def audit(self, user: StaffUser, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
        with session_scope(self.engine) as session:
            audit(session, user.username, action, target, detail)


def get_console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


ConsoleDep = Annotated[Console, Depends(get_console)]


def current_user(request: Request, console: ConsoleDep) -> StaffUser:
    """The logged-in user (plain ``def``: FastAPI runs the look-up off the event loop)."""
    key = request.session.get("sid")
    if not isinstance(key, str) or not key:
        request.session.clear()
        raise LoginRequired()
    with session_scope(console.engine) as session:
        user = session_user(session, key, console.limits)
    if user is None:  # ended (logout, password change, an admin), expired or unknown
        request.session.clear()
        raise LoginRequired()
    return user


CurrentUser = Annotated[StaffUser, Depends(current_user)]


def admin_user(user: CurrentUser) -> StaffUser:
    if user.role != "admin":
        raise Forbidden()
    return user


AdminUser = Annotated[StaffUser, Depends(admin_user)]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def check_csrf(request: Request, token: str) -> None:
    expected = request.session.get("csrf") or ""
    if not expected or not hmac.compare_digest(expected, token or ""):
        raise HTTPException(403, "Phiên làm việc không hợp lệ (CSRF). Vui lòng tải lại trang.")


def conversation_url(sender_id: str) -> str:
    """The console page of a conversation, for any sender id ("a/b", "..", "#1")."""
    return "/console/conversation?sender=" + quote(sender_id, safe="")


def attached(session: Session, user: StaffUser) -> StaffUser:
    """The user as a row of ``session`` (the dependency loaded it in another)."""
    return session.get(StaffUser, user.id) or user


def safe_next(target: str) -> str:
    """Only paths inside the console (no open redirect)."""
    return target if target.startswith("/console/") and not target.startswith("//") else "/console/"


def parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
