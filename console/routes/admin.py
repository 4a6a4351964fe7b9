"""Admin: accounts, open logins, the audit log, messages that could not be processed, retention."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from console import handoff, retention
from console.deps import AdminUser, ConsoleDep, RowId, check_csrf
from console.sessions import active_sessions, end_session_by_id
from console.users import audit
from tthc_data.engine import session_scope
from tthc_data.tables import AuditLog, StaffUser

router = APIRouter()


def _summary(counts: dict[str, int]) -> str:
    return f"Đã xoá {sum(counts.values())} bản ghi: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v)


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, console: ConsoleDep, user: AdminUser) -> Response:
    with session_scope(console.engine) as session:
        users = list(session.scalars(select(StaffUser).order_by(StaffUser.username)))
        log = list(session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(100)))
        logins = active_sessions(session, console.limits)
    failed_count, failed = handoff.failed_messages(console.settings.database_url)
    return console.page(request, "admin.html", user, users=users, log=log,
                        retention_days=console.settings.retention_days, result=request.query_params.get("result"),
                        logins=logins, failed=failed, failed_count=failed_count)


@router.post("/admin/sessions/{session_id}/end")
def end_login(request: Request, session_id: RowId, console: ConsoleDep, user: AdminUser,
              csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    with session_scope(console.engine) as session:
        row = end_session_by_id(session, session_id, "admin")
        if row is not None:
            audit(session, user.username, "session.end", str(row.user_id), {"session": session_id})
    if row is None:
        raise HTTPException(status_code=404, detail="Không có phiên đăng nhập này.")
    return RedirectResponse("/console/admin?result=" + quote("Đã kết thúc phiên đăng nhập."), status_code=303)


@router.post("/admin/purge")
def purge(request: Request, console: ConsoleDep, user: AdminUser, days: int = Form(..., ge=1, le=100 * 366),
          csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    try:
        counts = retention.delete_older_than(console.engine, days, actor=user.username)
    except ValueError as error:
        raise HTTPException(400, str(error)) from error
    return RedirectResponse(f"/console/admin?result={quote(_summary(counts))}", status_code=303)


@router.post("/admin/delete-sender")
def delete_sender(request: Request, console: ConsoleDep, user: AdminUser, sender_id: str = Form(...),
                  csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    try:
        counts = retention.delete_sender(console.engine, sender_id.strip(), actor=user.username)
    except ValueError as error:
        raise HTTPException(400, str(error)) from error
    return RedirectResponse(f"/console/admin?result={quote(_summary(counts))}", status_code=303)
