"""The running action server answers Rasa alone: the key Rasa sends, or 401 before any action runs."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from tests.integration.harness import Bot

pytestmark = pytest.mark.slow

# What a forged call looked like: a citizen "asks for a person", which opens a ticket whose
# reply would go to the Zalo user the caller chose.
FORGED_HANDOFF = {
    "next_action": "action_respond",
    "sender_id": "zalo-forged-user",
    "tracker": {"sender_id": "zalo-forged-user", "slots": {}, "events": [], "latest_input_channel": "zalo",
                "latest_message": {"text": "tôi muốn gặp cán bộ",
                                   "intent": {"name": "request_human", "confidence": 1.0}}},
    "domain": {},
    "version": "3.6.21",
}


def tickets_for(bot: Bot, sender: str) -> int:
    path = bot.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute("select count(*) from handoff_ticket where sender_id = ?", (sender,)).fetchone()[0]


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer wrong-key", "Basic dXNlcjpwYXNz"])
def test_a_call_without_the_key_gets_401_and_runs_no_action(bot: Bot, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    forged = httpx.post(f"{bot.action_url}/webhook", json=FORGED_HANDOFF, headers=headers, timeout=10)
    assert forged.status_code == 401
    assert httpx.get(f"{bot.action_url}/actions", headers=headers, timeout=10).status_code == 401
    assert tickets_for(bot, "zalo-forged-user") == 0


def test_the_key_rasa_sends_is_accepted_and_the_health_check_needs_none(bot: Bot) -> None:
    assert httpx.get(f"{bot.action_url}/health", timeout=10).status_code == 200
    key = {"Authorization": f"Bearer {bot.action_token}"}
    listed = httpx.get(f"{bot.action_url}/actions", headers=key, timeout=10)
    assert listed.status_code == 200
    assert "action_respond" in {a["name"] for a in listed.json()}
    # the same call as the forged one above does open a ticket when it carries the key
    body = {**FORGED_HANDOFF, "sender_id": "zalo-keyed-user",
            "tracker": {**FORGED_HANDOFF["tracker"], "sender_id": "zalo-keyed-user"}}  # type: ignore[dict-item]
    assert httpx.post(f"{bot.action_url}/webhook", json=body, headers=key, timeout=30).status_code == 200
    assert tickets_for(bot, "zalo-keyed-user") == 1
    # Rasa itself sends it: a question gets a composed answer, not the "tạm gián đoạn" apology
    reply = " ".join(str(m.get("text", "")) for m in bot.say("it-action-key", "đăng ký kết hôn cần giấy tờ gì"))
    assert "kết hôn" in reply.lower() and "gián đoạn" not in reply


def test_no_browser_may_call_it_from_another_site(bot: Bot) -> None:
    preflight = httpx.options(f"{bot.action_url}/webhook", timeout=10, headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in {k.lower() for k in preflight.headers}
