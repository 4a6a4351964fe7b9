"""connectors.web: the widget's channel answers like REST and serves queued messages."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sanic import Sanic

from connectors.settings import RasaSettings
from connectors.web import WebInput
from servers.database import migrated_sqlite
from tests.connectors.channel_app import Recorder, serve
from tthc_data.channels import shared_store

pytestmark = pytest.mark.rasa


@pytest.fixture()
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(Sanic, "test_mode", True)
    url = migrated_sqlite(tmp_path / "web.db")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("REPLY_TIMEOUT", "5")
    yield url


def test_messages_are_answered_in_the_response_under_the_web_channel(database: str) -> None:
    recorder = Recorder([{"text": "Dạ, anh/chị cần tờ khai.", "buttons": [{"title": "Lệ phí", "payload": "/ask_fee"}]}])

    async def scenario() -> httpx.Response:
        async with serve(WebInput(RasaSettings()), recorder) as client:
            return await client.post("/webhooks/web/webhook", json={"sender": "w1", "message": "cần gì"})

    answer = asyncio.run(scenario())
    assert answer.status_code == 200
    assert answer.json() == [{"recipient_id": "w1", "text": "Dạ, anh/chị cần tờ khai.",
                              "buttons": [{"title": "Lệ phí", "payload": "/ask_fee"}]}]
    assert recorder.received[0].input_channel == "web"


def test_queued_messages_are_fetched_once_per_widget_position(database: str) -> None:
    store = shared_store(database)
    first, second = store.enqueue("web", "w2", [{"text": "Cán bộ: hồ sơ của anh đã đủ."},
                                               {"text": "Cán bộ: anh nộp tại bộ phận một cửa."}], origin="staff")
    store.enqueue("web", "someone-else", [{"text": "không phải của w2"}])

    async def scenario() -> list[Any]:
        async with serve(WebInput(RasaSettings()), Recorder()) as client:
            everything = (await client.get("/webhooks/web/updates", params={"sender": "w2"})).json()
            after_first = (await client.get("/webhooks/web/updates", params={"sender": "w2", "after": first})).json()
            nothing_new = (await client.get("/webhooks/web/updates",
                                            params={"sender": "w2", "after": everything["last_id"]})).json()
            return [everything, after_first, nothing_new]

    everything, after_first, nothing_new = asyncio.run(scenario())
    assert [m["text"] for m in everything["messages"]] == ["Cán bộ: hồ sơ của anh đã đủ.",
                                                           "Cán bộ: anh nộp tại bộ phận một cửa."]
    assert everything["messages"][0]["origin"] == "staff" and everything["last_id"] == second
    assert [m["id"] for m in after_first["messages"]] == [second]
    assert nothing_new == {"messages": [], "last_id": second}
    assert {m.status for m in store.all_messages("web") if m.recipient == "w2"} == {"sent"}


@pytest.mark.parametrize("params", [{}, {"sender": ""}, {"sender": "x" * 200}, {"sender": "w", "after": "abc"},
                                    {"sender": "w", "after": str(2**63)}, {"sender": "w", "after": "9" * 5000}])
def test_bad_update_requests_get_400(database: str, params: dict[str, str]) -> None:
    async def scenario() -> int:
        async with serve(WebInput(RasaSettings()), Recorder()) as client:
            return (await client.get("/webhooks/web/updates", params=params)).status_code

    assert asyncio.run(scenario()) == 400
