"""``create_app(settings)``: the web front.

- ``/``: the chat demo page, talking to the bot through ``/api/chat``;
- ``/api/chat``: forwards ``{"sender", "message"}`` to Rasa's REST channel and returns
  its replies (so the page needs no cross-origin access to Rasa);
- ``/healthz``: liveness.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse

from console.web import create_console
from tthc.settings import Settings, get_settings

STATIC = Path(__file__).parent / "static"


UNAVAILABLE = "Xin lỗi anh/chị, trợ lý đang khởi động lại. Anh/chị vui lòng thử lại sau ít phút."


def unavailable(status: int) -> JSONResponse:
    """A reply the chat page can show when the bot cannot be reached."""
    return JSONResponse([{"text": UNAVAILABLE}], status_code=status, headers={"Retry-After": "10"})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="Trợ lý thủ tục hành chính", docs_url=None, redoc_url=None)

    @app.get("/", include_in_schema=False)
    async def chat_page() -> FileResponse:
        return FileResponse(STATIC / "chat.html", media_type="text/html; charset=utf-8")

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/chat")
    async def chat(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                upstream = await client.post(
                    f"{settings.rasa_url}/webhooks/rest/webhook",
                    content=body,
                    headers={"content-type": "application/json"},
                )
        except httpx.HTTPError:
            return unavailable(503)
        try:
            replies = upstream.json() if upstream.content else []
        except ValueError:  # an HTML error page from a proxy, a crash page...
            return unavailable(502)
        return JSONResponse(replies, status_code=upstream.status_code)

    @app.get("/console", include_in_schema=False)
    async def console_root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    app.mount("/console", create_console(settings))
    return app
