"""``create_app(settings)``: the web front (port 8000).

- ``/``: a demo city page with the chat widget embedded by one ``<script>`` tag;
- ``/chat``: the chat as a full page (for a link or a QR code);
- ``/widget.js`` and ``/widget/config.json``: the embeddable widget and its defaults;
- ``/api/session``: a conversation id for a new browser (random, signed: see ``web.conversation_ids``);
- ``/api/chat``: the widget's messages (under an id it was issued), forwarded to the Rasa server's web channel;
- ``/api/updates``: messages that reach a web user later (staff replies), from the same channel;
- ``/console/``: the staff console;
- ``/healthz``: liveness.

The widget calls ``/api/*`` from the city's own site, so those answer CORS requests from
``WIDGET_ALLOWED_ORIGINS``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from console.app import create_console, session_secret
from tthc_settings import Settings
from tthc_text.json_body import parse_json
from tthc_text.rate_limit import RateLimiter
from web.conversation_ids import is_issued, issue

STATIC = Path(__file__).parent / "static"
MAX_BODY_BYTES = 64 * 1024

# Sent with every response: no page runs an inline script (the console's is console/static/
# console.js); inline styles are allowed; the console is never framed.
_COMMON_POLICY = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
PAGE_POLICY = (f"{_COMMON_POLICY}; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data: https:; frame-ancestors 'self'")
CONSOLE_POLICY = (f"{_COMMON_POLICY}; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                  "img-src 'self' data:; frame-ancestors 'none'")
_HARDENING = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin"}
PAGE_HEADERS = {**_HARDENING, "Content-Security-Policy": PAGE_POLICY, "X-Frame-Options": "SAMEORIGIN"}
CONSOLE_HEADERS = {**_HARDENING, "Content-Security-Policy": CONSOLE_POLICY, "X-Frame-Options": "DENY"}


def security_headers(path: str) -> dict[str, str]:
    """The hardening headers of a response to ``path``."""
    return CONSOLE_HEADERS if path == "/console" or path.startswith("/console/") else PAGE_HEADERS

UNAVAILABLE = "Xin lỗi anh/chị, trợ lý đang khởi động lại. Anh/chị vui lòng thử lại sau ít phút."


def unavailable(status: int) -> JSONResponse:
    """A reply the chat page can show when the bot cannot be reached."""
    return JSONResponse([{"text": UNAVAILABLE}], status_code=status, headers={"Retry-After": "10"})


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="Trợ lý thủ tục hành chính", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.widget_allowed_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["content-type"],
        allow_credentials=False,
    )

    @app.middleware("http")
    async def harden(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        answer = await call_next(request)
        for name, value in security_headers(request.url.path).items():
            answer.headers.setdefault(name, value)
        return answer

    @app.get("/", include_in_schema=False)
    async def demo_page() -> FileResponse:
        return FileResponse(STATIC / "demo.html", media_type="text/html; charset=utf-8")

    @app.get("/chat", include_in_schema=False)
    async def chat_page() -> FileResponse:
        return FileResponse(STATIC / "chat.html", media_type="text/html; charset=utf-8")

    @app.get("/widget.js", include_in_schema=False)
    async def widget() -> FileResponse:
        return FileResponse(STATIC / "widget.js", media_type="application/javascript; charset=utf-8",
                            headers={"Cache-Control": "public, max-age=300"})

    @app.get("/widget/config.json")
    async def widget_config() -> dict[str, str]:
        return {"city_name": settings.widget_city_name, "color": settings.widget_color,
                "logo_url": settings.widget_logo_url, "privacy_url": settings.privacy_url}

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    # per client address (behind the balancer, the X-Forwarded-For it sets: FORWARDED_ALLOW_IPS)
    addresses = RateLimiter(settings.rate_limit_address_messages, settings.rate_limit_window)

    secret = session_secret(settings)

    def too_fast(request: Request) -> JSONResponse | None:
        address = request.client.host if request.client else "unknown"
        wait = 0.0 if address in settings.rate_limit_exempt_addresses else addresses.wait_time(address)
        if not wait:
            return None
        return JSONResponse({"error": "too many messages from this address: wait and send again"},
                            status_code=429, headers={"Retry-After": str(max(1, round(wait)))})

    def not_issued() -> JSONResponse:
        return JSONResponse({"error": "unknown conversation id: get one from POST /api/session"}, status_code=403)

    @app.post("/api/session")
    async def new_session(request: Request) -> JSONResponse:
        """A conversation id for a browser that has none (or one this server did not issue)."""
        return too_fast(request) or JSONResponse({"sender": issue(secret)})

    @app.post("/api/chat")
    async def chat(request: Request) -> JSONResponse:
        refused = too_fast(request)
        if refused:
            return refused
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": f"the body must be at most {MAX_BODY_BYTES} bytes"}, status_code=400)
        try:
            data = parse_json(body)
        except (UnicodeDecodeError, ValueError):
            return JSONResponse({"error": "the body must be UTF-8 JSON"}, status_code=400)
        if not isinstance(data, dict):
            return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
        if not is_issued(secret, data.get("sender")):
            return not_issued()
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                upstream = await client.post(f"{settings.rasa_url}/webhooks/web/webhook", content=body,
                                             headers={"content-type": "application/json"})
        except httpx.HTTPError:
            return unavailable(503)
        try:
            replies = upstream.json() if upstream.content else []
        except ValueError:  # an HTML error page from a proxy, a crash page...
            return unavailable(502)
        headers = {"Retry-After": upstream.headers["retry-after"]} if "retry-after" in upstream.headers else None
        return JSONResponse(replies, status_code=upstream.status_code, headers=headers)

    @app.get("/api/updates")
    async def updates(sender: str = "", after: str = "0") -> JSONResponse:
        if not is_issued(secret, sender):
            return not_issued()
        try:
            async with httpx.AsyncClient(timeout=15) as client:
                upstream = await client.get(f"{settings.rasa_url}/webhooks/web/updates",
                                            params={"sender": sender, "after": after})
            return JSONResponse(upstream.json(), status_code=upstream.status_code)
        except (httpx.HTTPError, ValueError):
            return JSONResponse({"error": "temporarily unavailable"}, status_code=503, headers={"Retry-After": "10"})

    @app.get("/console", include_in_schema=False)
    async def console_root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    app.mount("/console", create_console(settings))
    return app
