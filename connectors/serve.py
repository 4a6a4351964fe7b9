"""Start the Rasa server with the project's settings: ``python -m connectors.serve``.

Uses the newest model in ``bot/models`` and the project's endpoints; enables Rasa's HTTP
API only when ``RASA_API_TOKEN`` is set (always with that token). The channels are
enabled by their settings: the REST and web channels always, Zalo when ``ZALO_APP_ID``
and ``ZALO_OA_SECRET_KEY`` are set, Telegram when ``TELEGRAM_TOKEN`` is set. The channel
list is written to ``build/credentials.yml`` (no secret in it: the channels read their
secrets from the settings).
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


def enabled_channels(settings: RasaSettings) -> list[str]:
    """The input channels to start, as Rasa's credentials keys (module paths)."""
    channels = ["connectors.rest.PoliteRestInput", "connectors.web.WebInput"]
    if settings.zalo_enabled:
        channels.append("connectors.zalo.ZaloInput")
    if settings.telegram_enabled:
        if settings.telegram_mode not in ("webhook", "polling"):
            raise SystemExit("TELEGRAM_MODE must be 'webhook' or 'polling'")
        if settings.telegram_mode == "webhook" and not settings.telegram_webhook_secret:
            raise SystemExit(
                "TELEGRAM_WEBHOOK_SECRET is required in webhook mode (Telegram sends it with every "
                "update); or set TELEGRAM_MODE=polling for local use"
            )
        channels.append("connectors.telegram.TelegramInput")
    return channels


def write_credentials(settings: RasaSettings, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Written by connectors.serve from the settings; edit .env, not this file."]
    lines += [f"{channel}:" for channel in enabled_channels(settings)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rasa_arguments(settings: RasaSettings, model: Path, credentials: Path) -> list[str]:
    args = [
        "run",
        "--model", str(model),
        "--endpoints", "bot/endpoints.yml",
        "--credentials", str(credentials),
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
    credentials = write_credentials(settings, Path("build") / "credentials.yml")
    names = ", ".join(c.split(".")[1] for c in enabled_channels(settings))
    print(f"channels on: {names} (Zalo and Telegram are turned on by their settings in .env)", flush=True)
    args = rasa_arguments(settings, newest_model(Path(settings.model_dir)), credentials)
    os.execv(str(rasa), [str(rasa), *args])


if __name__ == "__main__":
    main()
