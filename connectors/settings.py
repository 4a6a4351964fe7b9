"""Settings of the Rasa runtime, read from the environment and ``.env``.

Rasa 3.6 pins pydantic < 1.10.10, so this runtime uses pydantic v1's ``BaseSettings``
(the action runtime uses pydantic-settings).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Optional

from pydantic import BaseSettings, Field, root_validator

from tthc_text.local_keys import local_key
from tthc_text.paths import REPO_ROOT

DEFAULT_DATABASE_URL = f"sqlite:///{REPO_ROOT / 'build' / 'tthc.db'}"


class RasaSettings(BaseSettings):
    """Everything the Rasa server's own code (channels, tracker store) is configured by."""

    # One database for everything by default: conversations (Rasa's tracker store), the
    # channels' inbox/outbox and the staff console's data.
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL of the project's database (sqlite or postgresql).",
    )
    tracker_store_url: Optional[str] = Field(  # noqa: UP007 - pydantic v1 on Python 3.10
        None, description="Conversation store, if not the project's database."
    )
    action_server_url: str = "http://127.0.0.1:5055/webhook"
    # Sent to the action server with every call (see tthc_settings); empty: build/.action-token.
    action_server_token: Optional[str] = None  # noqa: UP007
    rasa_port: int = 5005
    # On this machine only unless set (e.g. 0.0.0.0 inside a container, behind the balancer).
    rasa_interface: str = "127.0.0.1"
    # Sites whose pages may call Rasa's channels directly from a browser (the widget goes
    # through the web front, so none by default: no cross-origin request is answered).
    rasa_cors_origins: List[str] = []  # noqa: UP006
    model_dir: str = "bot/models"
    # Rasa's HTTP API (/model, /conversations, ...) is only enabled with a token.
    rasa_api_token: Optional[str] = None  # noqa: UP007
    # How long the polite REST channel waits for the bot before apologising (seconds).
    reply_timeout: float = 20.0
    # times an incoming Zalo/Telegram event may fail (raise while handled; a conversation store
    # that is down does not count) before it is marked failed and shown to the admins
    inbox_max_attempts: int = Field(5, ge=1)

    # --- several Rasa replicas (see deploy/) ---
    # Redis shared by the replicas: Rasa's lock store (one message of a conversation at a
    # time, in order, whichever replica receives it) and the per-sender rate limit.
    # Empty: one Rasa server, locks and rate limit in memory.
    redis_url: Optional[str] = Field(  # noqa: UP007
        None, description="redis://[:password@]host:port/db shared by the Rasa replicas."
    )

    # --- per-sender rate limit, on every channel (0 turns it off) ---
    rate_limit_messages: int = Field(20, description="Messages one sender may send per window.")
    rate_limit_window: float = Field(60.0, description="The window, in seconds.")
    # ... and per client address on the REST channel (the web front counts the widget's),
    # however many sender ids it makes up; an office's shared address needs room
    rate_limit_address_messages: int = Field(120, description="Messages one address may send per window.")
    # local tools (the dialogue evaluation, the benchmarks, a web front on this machine) are not
    # counted per address; a client behind the balancer has its own (SANIC_PROXIES_COUNT)
    rate_limit_exempt_addresses: List[str] = Field(["127.0.0.1", "::1"])  # noqa: UP006

    # --- delivery of replies on Zalo and Telegram (the outbox) ---
    delivery_poll_interval: float = Field(2.0, description="Seconds between outbox scans.")
    delivery_backoff_base: float = Field(2.0, description="First wait after a failed send (doubles).")
    delivery_max_backoff: float = Field(300.0, description="Longest wait between two tries.")
    send_timeout: float = Field(10.0, description="Timeout of one call to a platform API.")

    # --- Zalo Official Account (enabled when app id and OA secret key are set) ---
    zalo_app_id: Optional[str] = None  # noqa: UP007
    zalo_oa_secret_key: Optional[str] = None  # noqa: UP007 - signs the webhook events
    zalo_app_secret_key: Optional[str] = None  # noqa: UP007 - refreshes access tokens
    zalo_access_token: Optional[str] = None  # noqa: UP007
    zalo_refresh_token: Optional[str] = None  # noqa: UP007
    zalo_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    # A signed event older than this (seconds, by its own timestamp) is a replay, refused;
    # 0: no freshness check. Zalo delivers within seconds and retries for a few minutes.
    zalo_event_max_age: float = Field(default=900.0, ge=0)

    # --- Telegram (enabled when a bot token is set) ---
    telegram_token: Optional[str] = None  # noqa: UP007
    telegram_webhook_secret: Optional[str] = None  # noqa: UP007 - required in webhook mode
    telegram_mode: str = Field("webhook", description="webhook, or polling for local use (one server).")
    telegram_api_base: str = "https://api.telegram.org/bot"

    # --- dossier status (README "Dossier status") ---
    # signs the one-stop system's POST /webhooks/dossier/status; empty: that webhook is off
    dossier_webhook_secret: Optional[str] = None  # noqa: UP007
    dossier_webhook_max_skew: float = Field(300.0, gt=0)  # seconds between its timestamp and our clock
    # Zalo: ordinary messages only this long after the citizen's last one; outside it the kind this
    # OA may send ("transaction") or "none" (nothing sent, the refusal recorded)
    zalo_cs_window_days: float = Field(2.0, gt=0)
    zalo_outside_window: str = "none"

    class Config:
        env_file = ".env"
        env_file_encoding = "utf-8"
        extra = "ignore"

    @root_validator(skip_on_failure=True)
    def _combinations_make_sense(cls, values: Dict[str, Any]) -> Dict[str, Any]:  # noqa: N805, UP006
        """Settings that only fail together stop the start with their reason, not a 5xx later."""
        mode = values.get("telegram_mode")
        if mode not in ("webhook", "polling"):
            raise ValueError(f"TELEGRAM_MODE must be 'webhook' or 'polling', not {mode!r}")
        if values.get("telegram_token"):
            if mode == "polling" and values.get("redis_url"):
                raise ValueError(
                    "TELEGRAM_MODE=polling cannot run on several replicas (REDIS_URL is set): each would "
                    "take the others' updates; use the webhook mode behind the balancer")
            if mode == "webhook" and not values.get("telegram_webhook_secret"):
                raise ValueError(
                    "TELEGRAM_WEBHOOK_SECRET is required in webhook mode (Telegram sends it with every "
                    "update); or set TELEGRAM_MODE=polling for local use")
        if bool(values.get("zalo_app_id")) != bool(values.get("zalo_oa_secret_key")):
            raise ValueError("Zalo needs both ZALO_APP_ID and ZALO_OA_SECRET_KEY (the OA secret key checks "
                             "every event's signature); set both, or neither to leave Zalo off")
        if values.get("zalo_outside_window") not in ("none", "transaction"):
            raise ValueError("ZALO_OUTSIDE_WINDOW must be 'none' or 'transaction', not "
                             f"{values.get('zalo_outside_window')!r}")
        for name in ("reply_timeout", "rate_limit_window", "delivery_poll_interval", "send_timeout"):
            if not values.get(name, 1) > 0:
                raise ValueError(f"{name.upper()} must be more than 0")
        return values

    @property
    def conversations_url(self) -> str:
        """The tracker store's URL: its own if set, else the project's database."""
        return self.tracker_store_url or self.database_url

    def action_token(self) -> str:
        """The key sent to the action server."""
        return local_key(REPO_ROOT / "build", "action-token", self.action_server_token)

    @property
    def dossier_webhook_enabled(self) -> bool:
        return bool(self.dossier_webhook_secret)

    @property
    def zalo_enabled(self) -> bool:
        return bool(self.zalo_app_id and self.zalo_oa_secret_key)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)


@lru_cache(maxsize=1)
def get_settings() -> RasaSettings:
    """The Rasa process's settings, read once: Rasa itself makes the project's parts (the
    channels from credentials.yml, the tracker and lock stores from endpoints.yml), and each
    gets this object when it is made; nothing reads it while a message is handled."""
    return RasaSettings()
