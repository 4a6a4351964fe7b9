"""The bot under system test: its services, the fake platforms and a helper to talk to it
(used by conftest.py; the processes themselves are started by :mod:`servers.process`)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from servers.process import Service
from tests.fakes.platform_server import FakeTelegram, FakeZalo

STAFF_CHAT = "-100777"  # the staff Telegram group of the test bot


@dataclass
class Platforms:
    zalo: FakeZalo
    telegram: FakeTelegram
    zalo_oa_secret: str
    telegram_secret: str


@dataclass
class Bot:
    rasa: Service
    actions: Service
    rasa_url: str
    database_url: str
    tracker_url: str
    platforms: Platforms
    action_url: str = ""  # the action server's base URL
    action_token: str = ""  # the key Rasa sends it

    def say(self, sender: str, message: str) -> list[dict[str, object]]:
        response = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
        )
        assert response.status_code == 200, response.text
        return response.json()
