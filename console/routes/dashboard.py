"""The dashboard and the open-ticket badge."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from console import handoff, reports
from console.deps import ConsoleDep, CurrentUser
from console.events import load_conversations
from tthc_data.engine import session_scope

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, console: ConsoleDep, user: CurrentUser, days: int = 14) -> Response:
    days = max(1, min(days, 366))
    until = dt.datetime.now(dt.timezone.utc).date()
    since = until - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(since, dt.time.min, tzinfo=dt.timezone.utc)
    conversations = load_conversations(console.engine, since=start)
    with session_scope(console.engine) as session:
        board = reports.dashboard(conversations, session, since, until)
    return console.page(request, "dashboard.html", user, board=board, days=days, titles=console.library.titles())


@router.get("/api/badge")
def badge(console: ConsoleDep, user: CurrentUser) -> dict[str, int]:
    with session_scope(console.engine) as session:
        return {"open_tickets": handoff.open_count(session)}
