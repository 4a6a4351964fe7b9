"""Settings of the action-side runtime (.venv), read from the environment and ``.env``.

One object for the action server, the retrieval build, the CLI and the web front. Every
default works on a fresh clone: SQLite, the project's own procedures and its own trained
embedding model; nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tthc_text.local_keys import local_key
from tthc_text.paths import REPO_ROOT

# The national catalog beside the checkout, where the project's machines have it.
SHARED_CATALOG = REPO_ROOT.parent / "shared" / "data" / "national-procedures"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    @field_validator("catalog_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", "none", "None") else value

    # Content and retrieval
    procedures_dir: Path = REPO_ROOT / "procedures"
    nlu_dir: Path = REPO_ROOT / "nlu_data"
    index_dir: Path = REPO_ROOT / "build" / "index"
    include_drafts: bool = False
    catalog_dir: Path | None = Field(
        default=SHARED_CATALOG if SHARED_CATALOG.is_dir() else None,
        description=(
            "The national catalog (JSON records): every procedure without a curated guide is "
            "indexed and answered as a catalog entry. Default: ../shared/data/national-procedures "
            "beside the checkout when it is there; empty (CATALOG_DIR=): the curated guides alone."
        ),
    )
    embedding_model: str | None = Field(
        default=None,
        description=(
            "A pretrained sentence-transformers model name or local folder. Empty: the "
            "project trains its own static embedding model from its content (the default)."
        ),
    )
    embedding_dim: int = 256
    embedding_epochs: int = 6
    embedding_vocab_size: int = 12000
    exact_index_max: int = Field(
        default=50_000,
        description="Above this many passages the FAISS index is approximate (HNSW).",
    )
    # Dialogue thresholds on the retrieval score (0..1)
    answer_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    ambiguity_margin: float = Field(default=0.04, ge=0.0, le=1.0)

    # Services: on this machine only unless a host is set (e.g. 0.0.0.0 inside a container)
    action_host: str = "127.0.0.1"
    action_port: int = 5055
    action_server_token: str | None = Field(
        default=None,
        description=(
            "Shared by Rasa and the action server (Authorization: Bearer …); the action server "
            "refuses any other caller with 401. Empty: a random key kept in build/.action-token, "
            "which the services of one checkout share."
        ),
    )
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    rasa_url: str = "http://127.0.0.1:5005"
    database_url: str = f"sqlite:///{REPO_ROOT / 'build' / 'tthc.db'}"

    # Web chat widget (defaults; a city's <script> tag can override them with data- attributes)
    widget_city_name: str = ""
    widget_color: str = "#b3261e"
    widget_logo_url: str = ""
    privacy_url: str = ""  # the city's personal-data notice, linked from the widget
    # Other sites whose pages embed the widget (it calls /api/* from there), e.g.
    # ["https://phuong.gov.vn"]; empty: only this web front's own pages ("*": any site).
    widget_allowed_origins: list[str] = []
    # The widget's messages one client address may send per window (the Rasa server counts
    # each sender id; an address making up ids is counted here). 0: no limit.
    rate_limit_address_messages: int = Field(default=120, ge=0)
    rate_limit_window: float = Field(default=60.0, gt=0)
    # ... except these (a browser test, a tool on this machine; behind the balancer every
    # client has its own address, see FORWARDED_ALLOW_IPS)
    rate_limit_exempt_addresses: list[str] = ["127.0.0.1", "::1"]

    # Staff console (/console on the web front)
    console_secret_key: str | None = Field(
        default=None,
        description="Signs the console's session cookies. Empty: a random key kept in build/.console-secret.",
    )
    console_session_hours: float = Field(default=8.0, gt=0)  # a login lasts at most this long
    console_idle_minutes: float = Field(default=60.0, gt=0)  # ... and ends after this long without activity
    console_https_only: bool = False  # set true behind HTTPS: session cookies only over HTTPS
    public_url: str = "http://localhost:8000"  # how staff reach the web front (links in notifications)
    staff_telegram_chat_id: str | None = None  # a staff Telegram group told of new handoff tickets
    retention_days: int = Field(default=365, ge=1)  # older conversations are deleted by `tthc console purge`

    # Dossier status (the city's one-stop system, see README "Dossier status")
    dossier_api_url: str | None = Field(
        default=None,
        description="The one-stop system's bridge (the contract in actions/onestop.py). Empty: lookups "
                    "are not offered; the bot says where to look instead.",
    )
    dossier_api_key: str | None = None  # sent as "Authorization: Bearer <key>"
    dossier_timeout: float = Field(default=3.0, gt=0, le=30)  # the whole lookup, retries included
    # seconds between polls of a followed dossier, for a one-stop system without the webhook; 0: no polls
    dossier_poll_interval: float = Field(default=0.0, ge=0)
    dossier_failed_proof_limit: int = Field(default=5, ge=1)  # per sender and per code, per hour
    # a failed proof is answered after at least this long, whatever the one-stop system took:
    # an unknown code and a wrong proof cannot be told apart by the time
    dossier_failed_reply_seconds: float = Field(default=1.0, ge=0)
    # Zalo lets an OA send ordinary messages this long after the citizen's last message; outside
    # it, what this OA may send: "transaction" (a transaction message) or "none" (recorded as refused)
    zalo_cs_window_days: float = Field(default=2.0, gt=0)
    zalo_outside_window: Literal["none", "transaction"] = "none"

    @model_validator(mode="after")
    def _combinations_make_sense(self) -> Settings:
        """Settings that only fail together stop the start with their reason."""
        for origin in self.widget_allowed_origins:
            if origin != "*" and not (origin.startswith(("https://", "http://")) and "/" not in origin.split("://", 1)[1]):
                raise ValueError(f"WIDGET_ALLOWED_ORIGINS: {origin!r} is not a site's origin "
                                 "(scheme and host, e.g. https://phuong.gov.vn, no path), nor '*'")
        if not self.public_url.startswith(("https://", "http://")):
            raise ValueError(f"PUBLIC_URL must start with https:// or http://, not {self.public_url!r}")
        if self.console_https_only and not self.public_url.startswith("https://"):
            raise ValueError("CONSOLE_HTTPS_ONLY is set but PUBLIC_URL is not https://: the links sent to "
                             "staff would open a console whose session cookie the browser never sends")
        if self.dossier_api_url and not self.dossier_api_url.startswith(("https://", "http://")):
            raise ValueError(f"DOSSIER_API_URL must start with https:// or http://, not {self.dossier_api_url!r}")
        if self.web_port == self.action_port and self.web_host == self.action_host:
            raise ValueError(f"WEB_PORT and ACTION_PORT are both {self.web_port} on {self.web_host}")
        return self


    def action_token(self) -> str:
        """The key Rasa must send to the action server."""
        return local_key(REPO_ROOT / "build", "action-token", self.action_server_token)


def read_settings() -> Settings:
    """The settings a service or the command-line tool starts with, read once from the
    environment and ``.env``; settings that do not work stop the start with their reason."""
    try:
        return Settings()
    except ValueError as error:  # pydantic's ValidationError names each setting and why
        raise SystemExit(f"the settings in .env or the environment do not work:\n{error}") from error
