"""Login and logout (the only pages open without a login), and the console's script."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from console.deps import ConsoleDep, check_csrf, safe_next
from console.sessions import end_session, start_session
from console.users import attempt_login
from tthc_data.engine import session_scope

SCRIPT = Path(__file__).resolve().parents[1] / "static" / "console.js"
# The paths a visitor without a login may open (every other route needs one: see the tests).
OPEN_PATHS = frozenset({"/login", "/logout", "/console.js"})

router = APIRouter()


@router.get("/console.js", include_in_schema=False)
def script() -> FileResponse:
    return FileResponse(SCRIPT, media_type="application/javascript; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, console: ConsoleDep, next: str = "/console/") -> Response:
    return console.page(request, "login.html", None, next=safe_next(next), error=None)


@router.post("/login")
def login(request: Request, console: ConsoleDep, username: str = Form(""), password: str = Form(""),
          csrf: str = Form(""), next: str = Form("/console/")) -> Response:
    check_csrf(request, csrf)
    address = request.client.host if request.client else "?"
    agent = request.headers.get("user-agent", "")
    with session_scope(console.engine) as session:  # SQL and the password hash: in the thread pool
        user, wait = attempt_login(session, username, password, address)
        key = start_session(session, user, address, agent) if user else None
    if wait > 0:
        minutes = max(1, round(wait / 60))
        refused = console.page(request, "login.html", None, status_code=429, next=safe_next(next),
                               error=f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau khoảng {minutes} phút.")
        refused.headers["Retry-After"] = str(int(wait) + 1)
        return refused
    if key is None:
        return console.page(request, "login.html", None, status_code=401, next=safe_next(next),
                            error="Tên đăng nhập hoặc mật khẩu không đúng.")
    request.session.clear()  # a new session at login (no fixation)
    request.session.update({"sid": key, "csrf": secrets.token_urlsafe(32)})
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, console: ConsoleDep, csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    key = request.session.get("sid")
    if isinstance(key, str) and key:
        with session_scope(console.engine) as session:
            end_session(session, key, "logout")
    request.session.clear()
    return RedirectResponse("/console/login", status_code=303)
