"""Start the Rasa server with the project's settings: ``python -m connectors.serve``.

Uses the newest model in ``bot/models`` and the project's endpoints; enables Rasa's HTTP
API only when ``RASA_API_TOKEN`` is set (always with that token). The channels are
enabled by their settings: the REST and web channels always, Zalo when ``ZALO_APP_ID``
and ``ZALO_OA_SECRET_KEY`` are set, Telegram when ``TELEGRAM_TOKEN`` is set. The channel
list is written to ``build/rasa-<port>/credentials.yml`` (no secret in it: the channels read
their secrets from the settings), the endpoints to ``build/rasa-<port>/endpoints.yml``: ``bot/endpoints.yml``
plus, when ``REDIS_URL`` is set (several replicas), the Redis lock store.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import yaml

from connectors.settings import REPO_ROOT, RasaSettings
from tthc_data.channels import ChannelStore, SchemaMissing
from tthc_data.engine import make_engine

BASE_ENDPOINTS = REPO_ROOT / "bot" / "endpoints.yml"
LOCK_STORE = "connectors.lock_store.UrlRedisLockStore"


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
    if settings.telegram_enabled:  # its mode and secret are checked by the settings
        channels.append("connectors.telegram.TelegramInput")
    if settings.dossier_webhook_enabled:
        channels.append("connectors.dossier.DossierStatusInput")
    return channels


def _write(path: Path, text: str) -> Path:
    """Write atomically: a Rasa server never reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path


def write_credentials(settings: RasaSettings, path: Path) -> Path:
    lines = ["# Written by connectors.serve from the settings; edit .env, not this file."]
    lines += [f"{channel}:" for channel in enabled_channels(settings)]
    return _write(path, "\n".join(lines) + "\n")


def endpoints(settings: RasaSettings) -> dict[str, Any]:
    """Rasa's endpoints: the project's, with the shared lock store when there is Redis."""
    config: dict[str, Any] = yaml.safe_load(BASE_ENDPOINTS.read_text(encoding="utf-8"))
    config["action_endpoint"] = {**config.get("action_endpoint", {}), "url": settings.action_server_url,
                                 # Rasa reads the key from the environment: it is not written in the file
                                 "headers": {"Authorization": "Bearer ${ACTION_SERVER_TOKEN}"}}
    if settings.redis_url:
        from connectors.lock_store import redis_options  # noqa: PLC0415

        redis_options(settings.redis_url)  # a malformed URL stops the start, with its reason
        # the Redis URL (with its password) stays in the settings, not in the file
        config["lock_store"] = {"type": LOCK_STORE}
    return config


def write_endpoints(settings: RasaSettings, path: Path) -> Path:
    header = "# Written by connectors.serve from bot/endpoints.yml and the settings.\n"
    return _write(path, header + yaml.safe_dump(endpoints(settings), sort_keys=False))


def rasa_arguments(settings: RasaSettings, model: Path, credentials: Path,
                   endpoints_file: Path = Path("bot/endpoints.yml")) -> list[str]:
    args = [
        "run",
        "--model", str(model),
        "--endpoints", str(endpoints_file),
        "--credentials", str(credentials),
        "--port", str(settings.rasa_port),
        "--interface", settings.rasa_interface,
    ]
    if settings.rasa_cors_origins:  # browsers use the web front's /api/*; direct calls only from these
        args += ["--cors", *settings.rasa_cors_origins]
    if settings.rasa_api_token:
        args += ["--enable-api", "--auth-token", settings.rasa_api_token]
    return args


def main() -> None:
    try:
        settings = RasaSettings()  # this process only starts Rasa, whose parts read their own
    except ValueError as error:  # pydantic's ValidationError: which setting, and why
        raise SystemExit(f"the settings in .env or the environment do not work together:\n{error}") from error
    os.environ["ACTION_SERVER_URL"] = settings.action_server_url
    os.environ["ACTION_SERVER_TOKEN"] = settings.action_token()
    rasa = Path(sys.executable).with_name("rasa")
    # one folder per server: replicas on one machine may have different settings
    run_dir = Path("build") / f"rasa-{settings.rasa_port}"
    credentials = write_credentials(settings, run_dir / "credentials.yml")
    try:
        endpoints_file = write_endpoints(settings, run_dir / "endpoints.yml")
    except ValueError as error:
        raise SystemExit(str(error)) from error
    try:  # the channels' tables, made by `tthc db upgrade` (a clear stop now, not a 5xx later)
        ChannelStore(make_engine(settings.database_url)).engine.dispose()
    except SchemaMissing as error:
        raise SystemExit(str(error)) from error
    names = ", ".join(c.split(".")[1] for c in enabled_channels(settings))
    print(f"channels on: {names} (Zalo and Telegram are turned on by their settings in .env)", flush=True)
    locks = "shared in Redis (several replicas)" if settings.redis_url else "in memory (one server)"
    print(f"conversation locks: {locks}", flush=True)
    args = rasa_arguments(settings, newest_model(Path(settings.model_dir)), credentials, endpoints_file)
    os.execv(str(rasa), [str(rasa), *args])


if __name__ == "__main__":
    main()
