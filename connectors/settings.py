"""Settings of the Rasa runtime, read from the environment and ``.env``.

Rasa 3.6 pins pydantic < 1.10.10, so this runtime uses pydantic v1's ``BaseSettings``
(the action runtime uses pydantic-settings).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

from pydantic import BaseSettings, Field


class RasaSettings(BaseSettings):
    """Everything the Rasa server's own code (channels, tracker store) is configured by."""

    tracker_store_url: str = Field(
        "sqlite:///build/tracker.db",
        description="SQLAlchemy URL of the conversation store (sqlite or postgresql).",
    )
    action_server_url: str = "http://127.0.0.1:5055/webhook"
    rasa_port: int = 5005
    rasa_interface: str = "0.0.0.0"
    model_dir: str = "bot/models"
    # Rasa's HTTP API (/model, /conversations, ...) is only enabled with a token.
    rasa_api_token: Optional[str] = None  # noqa: UP007 - pydantic v1 on Python 3.10
    # How long the polite REST channel waits for the bot before apologising (seconds).
    reply_timeout: float = 20.0

    class Config:
        env_file = ".env"
        env_file_encoding = "utf-8"
        extra = "ignore"


@lru_cache(maxsize=1)
def get_settings() -> RasaSettings:
    """The process-wide settings (read once, on first use)."""
    return RasaSettings()
