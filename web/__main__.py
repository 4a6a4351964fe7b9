"""Serve the web front: ``python -m web``."""

from __future__ import annotations

import uvicorn

from tthc_data.migrate import SchemaOutOfDate
from tthc_settings import read_settings
from web.app import create_app


def main() -> None:
    settings = read_settings()  # built once, handed to the app and the console
    try:
        app = create_app(settings)
    except SchemaOutOfDate as error:  # the tables are made by `tthc db upgrade` before the start
        raise SystemExit(str(error)) from error
    uvicorn.run(app, host=settings.web_host, port=settings.web_port, log_level="info")


if __name__ == "__main__":
    main()
