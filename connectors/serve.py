"""Start the Rasa server with the project's settings: ``python -m connectors.serve``.

Uses the newest model in ``bot/models``, the project's endpoints and credentials, and
enables Rasa's HTTP API only when ``RASA_API_TOKEN`` is set (always with that token).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from connectors.settings import RasaSettings, get_settings


def newest_model(model_dir: Path) -> Path:
    models = sorted(model_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit(f"no trained model in {model_dir}: run `make model` (or `make run`) first")
    return models[-1]


def rasa_arguments(settings: RasaSettings, model: Path) -> list[str]:
    args = [
        "run",
        "--model", str(model),
        "--endpoints", "bot/endpoints.yml",
        "--credentials", "bot/credentials.yml",
        "--port", str(settings.rasa_port),
        "--interface", settings.rasa_interface,
        "--cors", "*",
    ]
    if settings.rasa_api_token:
        args += ["--enable-api", "--auth-token", settings.rasa_api_token]
    return args


def main() -> None:
    settings = get_settings()
    os.environ["ACTION_SERVER_URL"] = settings.action_server_url
    rasa = Path(sys.executable).with_name("rasa")
    args = rasa_arguments(settings, newest_model(Path(settings.model_dir)))
    os.execv(str(rasa), [str(rasa), *args])


if __name__ == "__main__":
    main()
