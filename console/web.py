"""The staff console, mounted at ``/console`` on the web front (server-rendered pages).

Login with hashed passwords, slowed down after repeated failures; roles ``admin`` and
``clerk``; logins kept server-side (:mod:`console.sessions`: the signed cookie holds a
random key) that end on logout, on a password change, by an admin, or after
``CONSOLE_SESSION_HOURS`` (``CONSOLE_IDLE_MINUTES`` without activity); a CSRF token in
every form. Every page and API needs a login, admin pages the admin role.
Personal data is masked on every page and in every export.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from console import curation, handoff, reports, retention
from console.events import LOW_CONFIDENCE, Conversation, load_conversations
from console.sessions import (
    Limits,
    active_sessions,
    end_session,
    end_session_by_id,
    session_user,
    start_session,
)
from console.users import attempt_login, audit
from guides.loader import load_guides
from tthc_data.engine import engine_for, session_scope
from tthc_data.migrate import require_current
from tthc_data.tables import Annotation, AuditLog, Feedback, HandoffTicket, StaffUser
from tthc_settings import REPO_ROOT, Settings, get_settings
from tthc_text.local_keys import local_key
from tthc_text.privacy import mask_personal_data

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
SCRIPT = Path(__file__).parent / "static" / "console.js"


# A row id in a URL: a whole number a database integer holds (larger ones are 422, not 500).
RowId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]


class LoginRequired(Exception):
    pass


class Forbidden(Exception):
    pass


MAX_SENDER = 512  # above any channel's limit (128): a look-up of any stored sender id


def conversation_url(sender_id: str) -> str:
    """The console page of a conversation, for any sender id ("a/b", "..", "#1")."""
    return "/console/conversation?sender=" + quote(sender_id, safe="")


def session_secret(settings: Settings) -> str:
    """The configured key, or one generated once and kept in build/ (never in the repo)."""
    return local_key(REPO_ROOT / "build", "console-secret", settings.console_secret_key)


def create_console(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    require_current(settings.database_url)
    engine: Engine = engine_for(settings.database_url)
    app = FastAPI(title="Bảng điều khiển cán bộ", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SessionMiddleware, secret_key=session_secret(settings), session_cookie="tthc_console",
                       max_age=int(settings.console_session_hours * 3600), same_site="strict",
                       https_only=settings.console_https_only, path="/console")
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["mask"] = mask_personal_data
    templates.env.filters["conversation_url"] = conversation_url
    templates.env.filters["when"] = lambda v: v.astimezone().strftime("%d/%m/%Y %H:%M") if v else ""
    templates.env.filters["epoch"] = lambda v: dt.datetime.fromtimestamp(v).strftime("%d/%m/%Y %H:%M") if v else ""

    # --- sessions, roles, CSRF ---------------------------------------------------------
    def csrf_token(request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = request.session["csrf"] = secrets.token_urlsafe(32)
        return token

    def check_csrf(request: Request, token: str) -> None:
        expected = request.session.get("csrf") or ""
        if not expected or not hmac.compare_digest(expected, token or ""):
            raise HTTPException(403, "Phiên làm việc không hợp lệ (CSRF). Vui lòng tải lại trang.")

    limits = Limits(lifetime=dt.timedelta(hours=settings.console_session_hours),
                    idle=dt.timedelta(minutes=settings.console_idle_minutes))

    def current_user(request: Request) -> StaffUser:  # sync: FastAPI runs it off the event loop
        key = request.session.get("sid")
        if not isinstance(key, str) or not key:
            request.session.clear()
            raise LoginRequired()
        with session_scope(engine) as session:
            user = session_user(session, key, limits)
        if user is None:  # ended (logout, password change, an admin), expired or unknown
            request.session.clear()
            raise LoginRequired()
        return user

    def admin_user(user: StaffUser = Depends(current_user)) -> StaffUser:
        if user.role != "admin":
            raise Forbidden()
        return user

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _: LoginRequired) -> Response:
        if request.url.path.startswith("/console/api/") or request.method != "GET":
            return JSONResponse({"error": "login required"}, status_code=401)
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/console/login?next={target}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/console/api/"):
            return JSONResponse({"error": error.detail}, status_code=error.status_code)
        return page(request, "error.html", None, status_code=error.status_code, message=str(error.detail))

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _: Forbidden) -> Response:
        return page(request, "error.html", None, status_code=403,
                    message="Trang này chỉ dành cho quản trị viên.")

    def page(request: Request, name: str, user: StaffUser | None, status_code: int = 200, **context: Any) -> Response:
        badge = 0
        if user is not None:
            with session_scope(engine) as session:
                badge = handoff.open_count(session)
        return templates.TemplateResponse(request, name, {"user": user, "csrf": csrf_token(request),
                                                          "badge": badge, **context}, status_code=status_code)

    @app.get("/console.js", include_in_schema=False)
    async def script() -> FileResponse:
        return FileResponse(SCRIPT, media_type="application/javascript; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})

    # --- login ---------------------------------------------------------------------------
    @app.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request, next: str = "/console/") -> Response:
        return page(request, "login.html", None, next=_safe_next(next), error=None)

    @app.post("/login")
    async def login(request: Request, username: str = Form(""), password: str = Form(""),
                    csrf: str = Form(""), next: str = Form("/console/")) -> Response:
        check_csrf(request, csrf)
        address = request.client.host if request.client else "?"
        agent = request.headers.get("user-agent", "")

        def attempt() -> tuple[str | None, float]:  # SQL and the password hash: off the event loop
            with session_scope(engine) as session:
                user, wait = attempt_login(session, username, password, address)
                return (start_session(session, user, address, agent) if user else None), wait

        key, wait = await run_in_threadpool(attempt)
        if wait > 0:
            minutes = max(1, round(wait / 60))
            refused = page(request, "login.html", None, status_code=429, next=_safe_next(next),
                           error=f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau khoảng {minutes} phút.")
            refused.headers["Retry-After"] = str(int(wait) + 1)
            return refused
        if key is None:
            return page(request, "login.html", None, status_code=401, next=_safe_next(next),
                        error="Tên đăng nhập hoặc mật khẩu không đúng.")
        request.session.clear()  # a new session at login (no fixation)
        request.session.update({"sid": key, "csrf": secrets.token_urlsafe(32)})
        return RedirectResponse(_safe_next(next), status_code=303)

    @app.post("/logout")
    async def logout(request: Request, csrf: str = Form("")) -> Response:
        check_csrf(request, csrf)
        key = request.session.get("sid")
        if isinstance(key, str) and key:
            def end() -> None:
                with session_scope(engine) as session:
                    end_session(session, key, "logout")

            await run_in_threadpool(end)
        request.session.clear()
        return RedirectResponse("/console/login", status_code=303)

    # --- dashboard -------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request, days: int = 14, user: StaffUser = Depends(current_user)) -> Response:
        days = max(1, min(days, 366))
        until = dt.datetime.now(dt.timezone.utc).date()
        since = until - dt.timedelta(days=days - 1)
        start = dt.datetime.combine(since, dt.time.min, tzinfo=dt.timezone.utc)
        conversations = load_conversations(engine, since=start)
        with session_scope(engine) as session:
            board = reports.dashboard(conversations, session, since, until)
        return page(request, "dashboard.html", user, board=board, days=days, titles=_titles(settings))

    @app.get("/api/badge")
    async def badge(user: StaffUser = Depends(current_user)) -> dict[str, int]:
        with session_scope(engine) as session:
            return {"open_tickets": handoff.open_count(session)}

    # --- conversations -----------------------------------------------------------------
    def filtered(q: dict[str, str]) -> list[Conversation]:
        since = _date(q.get("since"))
        until = _date(q.get("until"))
        conversations = load_conversations(
            engine,
            since=dt.datetime.combine(since, dt.time.min, tzinfo=dt.timezone.utc) if since else None,
            until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=dt.timezone.utc)
            if until else None,
        )
        with session_scope(engine) as session:
            negative = {f.sender_id for f in session.scalars(select(Feedback).where(Feedback.helpful.is_(False)))}
            handed = {t.sender_id for t in session.scalars(select(HandoffTicket))}
        text = (q.get("q") or "").strip().casefold()
        result = []
        for c in conversations.values():
            if not c.user_turns:
                continue
            if q.get("channel") and c.channel != q["channel"]:
                continue
            if q.get("procedure") and q["procedure"] not in c.procedures:
                continue
            if q.get("intent") and q["intent"] not in c.intents:
                continue
            if q.get("low") and not c.low_confidence:
                continue
            if q.get("negative") and c.sender_id not in negative:
                continue
            if q.get("handoff") and c.sender_id not in handed:
                continue
            if text and not any(text in t.text.casefold() for t in c.turns):
                continue
            result.append(c)
        return sorted(result, key=lambda c: c.last_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc),
                      reverse=True)

    @app.get("/conversations", response_class=HTMLResponse)
    async def conversations_page(request: Request, user: StaffUser = Depends(current_user)) -> Response:
        q = {k: v for k, v in request.query_params.items() if v}
        found = filtered(q)
        return page(request, "conversations.html", user, conversations=found[:200], total=len(found), q=q,
                    intents=curation.INTENTS, channels=("web", "zalo", "telegram", "rest"),
                    threshold=LOW_CONFIDENCE)

    # A conversation is addressed by its sender id in the query (``/console/conversation?sender=…``):
    # any id opens, even one with "/" or one that is ".." (which a path would lose to URL
    # normalisation). The older path form still opens ids without those.
    async def transcript(request: Request, sender_id: str, user: StaffUser) -> Response:
        conversation = load_conversations(engine, sender_id=sender_id).get(sender_id)
        if conversation is None:
            raise HTTPException(404, "Không có cuộc trò chuyện này.")
        with session_scope(engine) as session:
            tickets = list(session.scalars(select(HandoffTicket).where(HandoffTicket.sender_id == sender_id)))
            staff = [(r, t) for t in tickets for r in handoff.replies_of(session, t.id)]
        return page(request, "transcript.html", user, conversation=conversation, tickets=tickets,
                    staff_replies=staff, intents=curation.INTENTS, threshold=LOW_CONFIDENCE,
                    titles=_titles(settings))

    @app.get("/conversation", response_class=HTMLResponse)
    async def transcript_page(request: Request, sender: str = Query(..., min_length=1, max_length=MAX_SENDER),
                              user: StaffUser = Depends(current_user)) -> Response:
        return await transcript(request, sender, user)

    @app.get("/conversations/{sender_id}", response_class=HTMLResponse)
    async def transcript_by_path(request: Request, sender_id: str, user: StaffUser = Depends(current_user)) -> Response:
        return await transcript(request, sender_id, user)

    async def annotate(request: Request, sender_id: str, user: StaffUser, *, text: str, intent: str,
                       predicted: str, procedure_code: str, csrf: str) -> Response:
        check_csrf(request, csrf)
        with session_scope(engine) as session:
            try:
                curation.annotate(session, _attached(session, user), sender_id=sender_id, text=text,
                                  predicted_intent=predicted, intent=intent, procedure_code=procedure_code.strip())
            except curation.CurationError as error:
                raise HTTPException(400, str(error)) from error
        return RedirectResponse(f"{conversation_url(sender_id)}&annotated=1", status_code=303)

    @app.post("/conversation/annotate")
    async def annotate_form(request: Request, sender: str = Form(..., min_length=1, max_length=MAX_SENDER),
                            text: str = Form(...), intent: str = Form(...), predicted: str = Form(""),
                            procedure_code: str = Form(""), csrf: str = Form(""),
                            user: StaffUser = Depends(current_user)) -> Response:
        return await annotate(request, sender, user, text=text, intent=intent, predicted=predicted,
                              procedure_code=procedure_code, csrf=csrf)

    @app.post("/conversations/{sender_id}/annotate")
    async def annotate_by_path(request: Request, sender_id: str, text: str = Form(...), intent: str = Form(...),
                               predicted: str = Form(""), procedure_code: str = Form(""), csrf: str = Form(""),
                               user: StaffUser = Depends(current_user)) -> Response:
        return await annotate(request, sender_id, user, text=text, intent=intent, predicted=predicted,
                              procedure_code=procedure_code, csrf=csrf)

    # --- exports (admin) ---------------------------------------------------------------
    @app.get("/export.{fmt}")
    async def export(request: Request, fmt: str, user: StaffUser = Depends(admin_user)) -> Response:
        """The conversations the filters select, one row per message, personal data masked."""
        writers = {"csv": (reports.export_csv, "text/csv"), "json": (reports.export_json, "application/json")}
        if fmt not in writers:
            raise HTTPException(404, "Định dạng xuất chỉ có csv hoặc json.")
        write, media_type = writers[fmt]
        found = {c.sender_id: c for c in filtered(dict(request.query_params))}
        _audit(user, f"export.{fmt}", f"{len(found)} conversations")
        return Response(write(found), media_type=f"{media_type}; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="hoi-thoai.{fmt}"'})

    def _audit(user: StaffUser, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
        with session_scope(engine) as session:
            audit(session, user.username, action, target, detail)

    # --- handoff -------------------------------------------------------------------------
    @app.get("/handoffs", response_class=HTMLResponse)
    async def handoffs(request: Request, user: StaffUser = Depends(current_user)) -> Response:
        with session_scope(engine) as session:
            tickets = handoff.open_tickets(session)
        return page(request, "handoffs.html", user, tickets=tickets)

    @app.get("/handoffs/{ticket_id}", response_class=HTMLResponse)
    async def ticket_page(request: Request, ticket_id: RowId, user: StaffUser = Depends(current_user)) -> Response:
        with session_scope(engine) as session:
            ticket = session.get(HandoffTicket, ticket_id)
            if ticket is None:
                raise HTTPException(404, "Không có yêu cầu này.")
            replies = handoff.replies_of(session, ticket_id)
        conversation = load_conversations(engine, sender_id=ticket.sender_id).get(ticket.sender_id)
        return page(request, "ticket.html", user, ticket=ticket, replies=replies, conversation=conversation,
                    replyable=ticket.channel in handoff.REPLYABLE, error=request.query_params.get("error"))

    @app.post("/handoffs/{ticket_id}/reply")
    async def ticket_reply(request: Request, ticket_id: RowId, text: str = Form(""), close: str = Form(""),
                           csrf: str = Form(""), user: StaffUser = Depends(current_user)) -> Response:
        check_csrf(request, csrf)
        with session_scope(engine) as session:
            ticket = session.get(HandoffTicket, ticket_id)
            if ticket is None:
                raise HTTPException(404, "Không có yêu cầu này.")
            try:
                handoff.reply(session, engine, ticket, _attached(session, user), text, close=bool(close))
            except handoff.HandoffError as error:
                return RedirectResponse(f"/console/handoffs/{ticket_id}?error={quote(str(error))}", status_code=303)
        return RedirectResponse(f"/console/handoffs/{ticket_id}?sent=1", status_code=303)

    @app.post("/handoffs/{ticket_id}/close")
    async def ticket_close(request: Request, ticket_id: RowId, csrf: str = Form(""),
                           user: StaffUser = Depends(current_user)) -> Response:
        check_csrf(request, csrf)
        with session_scope(engine) as session:
            ticket = session.get(HandoffTicket, ticket_id)
            if ticket is None:
                raise HTTPException(404, "Không có yêu cầu này.")
            handoff.close_ticket(session, ticket, _attached(session, user))
        return RedirectResponse("/console/handoffs", status_code=303)

    # --- curation ------------------------------------------------------------------------
    @app.get("/curation", response_class=HTMLResponse)
    async def curation_page(request: Request, user: StaffUser = Depends(current_user)) -> Response:
        with session_scope(engine) as session:
            pending = curation.annotations(session, "pending")
            approved = curation.annotations(session, "approved")
        return page(request, "curation.html", user, pending=pending, approved=approved)

    @app.post("/curation/{annotation_id}")
    async def curation_review(request: Request, annotation_id: RowId, decision: str = Form(...),
                              csrf: str = Form(""), user: StaffUser = Depends(current_user)) -> Response:
        check_csrf(request, csrf)
        with session_scope(engine) as session:
            annotation = session.get(Annotation, annotation_id)
            if annotation is None:
                raise HTTPException(404, "Không có mục này.")
            curation.review(session, _attached(session, user), annotation, approve=decision == "approve")
        return RedirectResponse("/console/curation", status_code=303)

    @app.get("/curation/nlu.yml")
    async def curation_nlu(user: StaffUser = Depends(current_user)) -> Response:
        with session_scope(engine) as session:
            text = curation.nlu_yaml(curation.annotations(session, "approved"))
        return Response(text, media_type="text/yaml; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="nlu_from_console.yml"'})

    @app.get("/curation/eval.yml")
    async def curation_eval(user: StaffUser = Depends(current_user)) -> Response:
        with session_scope(engine) as session:
            text = curation.eval_yaml(curation.annotations(session, "approved"))
        return Response(text, media_type="text/yaml; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="eval_from_console.yml"'})

    # --- guides --------------------------------------------------------------------------
    @app.get("/guides", response_class=HTMLResponse)
    async def guides(request: Request, user: StaffUser = Depends(current_user)) -> Response:
        loaded = load_guides(settings.procedures_dir)
        return page(request, "guides.html", user, guides=sorted(loaded.guides, key=lambda g: g.title),
                    problems=loaded.problems, today=dt.date.today())

    @app.get("/guides/{code}", response_class=HTMLResponse)
    async def guide_page(request: Request, code: str, user: StaffUser = Depends(current_user)) -> Response:
        path = curation.find_guide_file(settings.procedures_dir, code)
        if path is None:
            raise HTTPException(404, "Không có hướng dẫn này.")
        loaded = load_guides(settings.procedures_dir)
        guide = next(g for g in loaded.guides if g.code == code)
        return page(request, "guide_edit.html", user, guide=guide, error=None, saved=request.query_params.get("saved"),
                    text_fields=curation.EDITABLE_TEXT, list_fields=curation.EDITABLE_LISTS)

    @app.post("/guides/{code}")
    async def guide_save(request: Request, code: str, user: StaffUser = Depends(current_user)) -> Response:
        form = await request.form()
        check_csrf(request, str(form.get("csrf") or ""))
        path = curation.find_guide_file(settings.procedures_dir, code)
        if path is None:
            raise HTTPException(404, "Không có hướng dẫn này.")
        changes: dict[str, Any] = {}
        for name in curation.EDITABLE_TEXT:
            if name in form:
                value = str(form[name]).strip()
                changes[name] = value or (None if name in ("online_url", "summary") else "")
        for name in curation.EDITABLE_LISTS:
            if name in form:
                changes[name] = [line.strip() for line in str(form[name]).splitlines() if line.strip()]
        if form.get("status") in ("draft", "published"):
            changes["status"] = form["status"]
        with session_scope(engine) as session:
            try:
                curation.edit_guide(path, changes, _attached(session, user), session)
            except curation.CurationError as error:
                guide = next(g for g in load_guides(settings.procedures_dir).guides if g.code == code)
                return page(request, "guide_edit.html", user, status_code=400, guide=guide, error=str(error),
                            saved=None, text_fields=curation.EDITABLE_TEXT, list_fields=curation.EDITABLE_LISTS)
        _rebuild_index_in_background(settings)
        return RedirectResponse(f"/console/guides/{quote(code)}?saved=1", status_code=303)

    # --- admin ---------------------------------------------------------------------------
    @app.get("/admin", response_class=HTMLResponse)
    async def admin(request: Request, user: StaffUser = Depends(admin_user)) -> Response:
        with session_scope(engine) as session:
            users = list(session.scalars(select(StaffUser).order_by(StaffUser.username)))
            log = list(session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(100)))
            logins = active_sessions(session, limits)
        failed_count, failed = await run_in_threadpool(handoff.failed_messages, settings.database_url)
        return page(request, "admin.html", user, users=users, log=log, retention_days=settings.retention_days,
                    result=request.query_params.get("result"), logins=logins, failed=failed,
                    failed_count=failed_count)

    @app.post("/admin/sessions/{session_id}/end")
    async def end_login(request: Request, session_id: RowId, csrf: str = Form(""),
                        user: StaffUser = Depends(admin_user)) -> Response:
        check_csrf(request, csrf)

        def end() -> bool:
            with session_scope(engine) as session:
                row = end_session_by_id(session, session_id, "admin")
                if row is not None:
                    audit(session, user.username, "session.end", str(row.user_id), {"session": session_id})
                return row is not None

        if not await run_in_threadpool(end):
            raise HTTPException(status_code=404, detail="Không có phiên đăng nhập này.")
        return RedirectResponse("/console/admin?result=" + quote("Đã kết thúc phiên đăng nhập."), status_code=303)

    @app.post("/admin/purge")
    async def purge(request: Request, days: int = Form(..., ge=1, le=100 * 366), csrf: str = Form(""),
                    user: StaffUser = Depends(admin_user)) -> Response:
        check_csrf(request, csrf)
        try:
            counts = retention.delete_older_than(engine, days, actor=user.username)
        except ValueError as error:
            raise HTTPException(400, str(error)) from error
        return RedirectResponse(f"/console/admin?result={quote(_summary(counts))}", status_code=303)

    @app.post("/admin/delete-sender")
    async def delete_sender(request: Request, sender_id: str = Form(...), csrf: str = Form(""),
                            user: StaffUser = Depends(admin_user)) -> Response:
        check_csrf(request, csrf)
        try:
            counts = retention.delete_sender(engine, sender_id.strip(), actor=user.username)
        except ValueError as error:
            raise HTTPException(400, str(error)) from error
        return RedirectResponse(f"/console/admin?result={quote(_summary(counts))}", status_code=303)

    return app


def _attached(session: Session, user: StaffUser) -> StaffUser:
    return session.get(StaffUser, user.id) or user


def _safe_next(target: str) -> str:
    """Only paths inside the console (no open redirect)."""
    return target if target.startswith("/console/") and not target.startswith("//") else "/console/"


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _summary(counts: dict[str, int]) -> str:
    return f"Đã xoá {sum(counts.values())} bản ghi: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v)


def _titles(settings: Settings) -> dict[str, str]:
    try:
        return {g.code: g.title for g in load_guides(settings.procedures_dir).guides}
    except Exception:  # noqa: BLE001 - titles are a convenience
        return {}


def rebuild_environment(settings: Settings) -> dict[str, str]:
    """The rebuild's environment: this console's content folders, whatever the process's own
    environment says (a console started with settings passed in, as in the tests, rebuilds
    its own index, not the default one)."""
    return {**os.environ, "PROCEDURES_DIR": str(settings.procedures_dir), "INDEX_DIR": str(settings.index_dir),
            "NLU_DIR": str(settings.nlu_dir), "CATALOG_DIR": str(settings.catalog_dir or "")}


def _rebuild_index_in_background(settings: Settings) -> None:
    """Rebuild the search index if the edit made it stale; the action server then swaps it in."""
    tthc = Path(sys.executable).with_name("tthc")
    try:
        subprocess.Popen([str(tthc), "index", "build", "--if-stale"], cwd=REPO_ROOT, env=rebuild_environment(settings),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        logger.exception("could not start the index rebuild")
