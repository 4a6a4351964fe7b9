"""Serve the web front: ``python -m web``."""

from __future__ import annotations

import uvicorn

from tthc.settings import get_settings
from web.app import create_app


def main() -> None:
    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.web_host, port=settings.web_port, log_level="info")


if __name__ == "__main__":
    main()
