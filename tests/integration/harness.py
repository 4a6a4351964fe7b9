"""The bot under system test: its services, the fake platforms and a helper to talk to it
(used by conftest.py; the processes themselves are started by :mod:`servers.process`)."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from servers.fake_onestop import FakeOneStop
from servers.fake_platforms import FakeTelegram, FakeZalo
from servers.process import Service

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
    onestop: FakeOneStop | None = None  # the city's one-stop system the dossier lookups ask
    dossier_secret: str = ""  # signs its status reports to POST /webhooks/dossier/status

    def say(self, sender: str, message: str) -> list[dict[str, object]]:
        response = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
        )
        assert response.status_code == 200, response.text
        return response.json()


def zalo_post(bot: Bot, body: dict[str, Any], secret: str | None = None) -> httpx.Response:
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    key = secret if secret is not None else bot.platforms.zalo_oa_secret
    mac = hashlib.sha256(body["app_id"].encode() + raw + body["timestamp"].encode() + key.encode()).hexdigest()
    return httpx.post(f"{bot.rasa_url}/webhooks/zalo/webhook", content=raw, timeout=10,
                      headers={"X-ZEvent-Signature": f"mac={mac}", "content-type": "application/json"})


def telegram_post(bot: Bot, update: dict[str, Any], secret: str | None = None) -> httpx.Response:
    return httpx.post(f"{bot.rasa_url}/webhooks/telegram/webhook", json=update, timeout=10,
                      headers={"X-Telegram-Bot-Api-Secret-Token": secret or bot.platforms.telegram_secret})


def wait_for_count(count: Any, expected: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and count() < expected:
        time.sleep(0.1)
    time.sleep(0.5)  # nothing more should arrive
    assert count() == expected, f"expected {expected} messages, got {count()}"
