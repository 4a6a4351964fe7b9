"""The action server's web app: rasa-sdk's, open to Rasa alone.

Every route but ``/health`` needs the key Rasa sends (``Authorization: Bearer <key>``,
see ``ACTION_SERVER_TOKEN``); any other caller gets 401 before an action runs. No browser
ever calls the action server, so it answers no cross-origin request.
"""

from __future__ import annotations

import hmac

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

OPEN_PATHS = frozenset({"/health"})


def create_server(executor: ActionExecutor, token: str) -> Sanic:
    """rasa-sdk's app for ``executor``, refusing callers without ``token``."""
    app = create_app(executor, cors_origins=None)
    expected = f"Bearer {token}".encode()

    @app.on_request
    async def authenticate(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get("authorization", "").encode("utf-8", "replace")
        if hmac.compare_digest(given, expected):
            return None
        return response.json({"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"})

    return app
