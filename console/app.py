"""The staff console, mounted at ``/console`` on the web front (server-rendered pages).

Login with hashed passwords, slowed down after repeated failures; roles ``admin`` and
``clerk``; logins kept server-side (:mod:`console.sessions`: the signed cookie holds a
random key) that end on logout, on a password change, by an admin, or after
``CONSOLE_SESSION_HOURS`` (``CONSOLE_IDLE_MINUTES`` without activity); a CSRF token in
every form. Every page and API needs a login (but :data:`console.routes.auth.OPEN_PATHS`),
admin pages the admin role. Personal data is masked on every page and in every export.

:func:`create_console` makes the console's parts once (:class:`console.deps.Console`) and
includes one router per area of work from :mod:`console.routes`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from console.catalog_review import CatalogReview
from console.deps import Console, Forbidden, LoginRequired, conversation_url
from console.guide_library import GuideLibrary
from console.routes import admin, auth, conversations, curation, dashboard, guides, handoffs
from console.sessions import Limits
from tthc_data.engine import engine_for
from tthc_data.migrate import require_current
from tthc_settings import REPO_ROOT, Settings
from tthc_text.local_keys import local_key
from tthc_text.privacy import mask_personal_data

TEMPLATES = Path(__file__).parent / "templates"
ROUTERS = (auth.router, dashboard.router, conversations.router, handoffs.router, curation.router, guides.router,
           admin.router)


def session_secret(settings: Settings) -> str:
    """The configured key, or one generated once and kept in build/ (never in the repo)."""
    return local_key(REPO_ROOT / "build", "console-secret", settings.console_secret_key)


def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=str(TEMPLATES))
    found.env.filters["mask"] = mask_personal_data
    found.env.filters["conversation_url"] = conversation_url
    found.env.filters["when"] = lambda v: v.astimezone().strftime("%d/%m/%Y %H:%M") if v else ""
    found.env.filters["epoch"] = lambda v: dt.datetime.fromtimestamp(v).strftime("%d/%m/%Y %H:%M") if v else ""
    return found


def create_console(settings: Settings) -> FastAPI:
    """The console app; refuses a database that ``tthc db upgrade`` has not brought up to date."""
    require_current(settings.database_url)
    console = Console(
        settings=settings,
        engine=engine_for(settings.database_url),
        templates=templates(),
        limits=Limits(lifetime=dt.timedelta(hours=settings.console_session_hours),
                      idle=dt.timedelta(minutes=settings.console_idle_minutes)),
        library=GuideLibrary(settings.procedures_dir),
        catalog=CatalogReview(settings.catalog_dir),
    )
    app = FastAPI(title="Bảng điều khiển cán bộ", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.console = console
    app.add_middleware(SessionMiddleware, secret_key=session_secret(settings), session_cookie="tthc_console",
                       max_age=int(settings.console_session_hours * 3600), same_site="strict",
                       https_only=settings.console_https_only, path="/console")

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
        return console.page(request, "error.html", None, status_code=error.status_code, message=str(error.detail))

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _: Forbidden) -> Response:
        return console.page(request, "error.html", None, status_code=403,
                            message="Trang này chỉ dành cho quản trị viên.")

    for router in ROUTERS:
        app.include_router(router)
    return app
