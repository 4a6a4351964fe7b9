"""Faults on the running system: the Rasa server restarted, the database unavailable."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from servers.database import upgrade
from servers.ports import free_port
from servers.postgres import PostgresServer
from servers.process import RASA_PYTHON, Service
from tests.integration.harness import Bot

pytestmark = pytest.mark.slow


def texts(replies: list[dict[str, object]]) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies)


def test_after_a_rasa_restart_the_conversation_resumes_from_the_store(bot: Bot) -> None:
    first = texts(bot.say("it-restart", "đăng ký kết hôn cần giấy tờ gì"))
    assert "kết hôn" in first.lower()
    bot.rasa.stop()
    bot.rasa.start()
    follow_up = texts(bot.say("it-restart", "còn lệ phí thì sao?"))
    assert "kết hôn" in follow_up.lower()  # the procedure came back from the SQL tracker store


@pytest.fixture()
def postgres_bot(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, PostgresServer]]:
    """A second bot (Rasa + actions) whose one database is PostgreSQL."""
    url = postgres_server.create_database("faults")
    upgrade(url)  # as `tthc db upgrade` before the services start
    tmp = tmp_path_factory.mktemp("pgbot")
    rasa_port, action_port = free_port(), free_port()
    env = {**os.environ, "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook", "DATABASE_URL": url,
           "RASA_PORT": str(rasa_port), "RASA_INTERFACE": "127.0.0.1", "ACTION_HOST": "127.0.0.1",
           "ACTION_PORT": str(action_port), "RASA_TELEMETRY_ENABLED": "false", "HF_HUB_OFFLINE": "1",
           "REPLY_TIMEOUT": "20"}
    env.pop("TRACKER_STORE_URL", None)
    actions = Service("actions", [sys.executable, "-m", "actions"], env, f"http://127.0.0.1:{action_port}/health",
                      tmp / "actions.log")
    rasa = Service("rasa", [str(RASA_PYTHON), "-m", "connectors.serve"], env, f"http://127.0.0.1:{rasa_port}/",
                   tmp / "rasa.log")
    actions.start()
    rasa.start()
    yield f"http://127.0.0.1:{rasa_port}", postgres_server
    rasa.stop()
    actions.stop()


def test_while_the_database_is_down_messages_fail_softly_and_none_acknowledged_is_lost(
        postgres_bot: tuple[str, PostgresServer]) -> None:
    rasa_url, server = postgres_bot
    url = f"{rasa_url}/webhooks/rest/webhook"
    assert httpx.post(url, json={"sender": "pg-citizen", "message": "xin chào"}, timeout=60).status_code == 200
    server.stop(remove=False)
    try:
        during = httpx.post(url, json={"sender": "pg-citizen", "message": "làm căn cước ở đâu"}, timeout=60)
    finally:
        server.restart()
    assert during.status_code == 503 and during.headers.get("retry-after")
    assert "gián đoạn" in texts(during.json())  # a polite text, not an error page
    # the client sends it again once the database is back
    deadline = time.monotonic() + 60
    while True:
        again = httpx.post(url, json={"sender": "pg-citizen", "message": "làm căn cước ở đâu"}, timeout=60)
        if again.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert again.status_code == 200 and "căn cước" in texts(again.json()).lower()
    stored = server.psql("SELECT data::json->>'text' FROM events WHERE sender_id = 'pg-citizen' "
                         "AND type_name = 'user' ORDER BY id", database="faults").splitlines()
    assert stored == ["xin chào", "làm căn cước ở đâu"]  # every 200 is stored, once
