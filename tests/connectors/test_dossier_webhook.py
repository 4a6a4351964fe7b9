"""connectors.dossier: the one-stop system's status webhook, signed, once per event, each
change one message per follower through the outbox; on Zalo within the platform's window
(the fake Zalo API enforces it)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sanic import Sanic

from connectors.dossier import DossierStatusInput, signature
from connectors.settings import RasaSettings
from connectors.zalo import ZaloInput
from servers.database import migrated_sqlite
from servers.fake_platforms import FakeZalo
from tests.connectors.channel_app import Recorder, agent_with, serve
from tthc_data import dossiers as store
from tthc_data.channels import shared_store
from tthc_data.engine import engine_for

pytestmark = pytest.mark.rasa

URL = "/webhooks/dossier/status"
SECRET = "one-stop-secret"
CODE = "000.00.12.H40-251201-0007"


@pytest.fixture()
def zalo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeZalo]:
    monkeypatch.setattr(Sanic, "test_mode", True)
    with FakeZalo() as fake:
        fake.enforce_window = True
        for name, value in {
            "DATABASE_URL": migrated_sqlite(tmp_path / "dossier.db"), "DOSSIER_WEBHOOK_SECRET": SECRET,
            "ZALO_APP_ID": fake.app_id, "ZALO_OA_SECRET_KEY": "oa", "ZALO_APP_SECRET_KEY": fake.app_secret,
            "ZALO_ACCESS_TOKEN": fake.access_token, "ZALO_REFRESH_TOKEN": fake.refresh_token,
            "ZALO_API_BASE": fake.url, "ZALO_OAUTH_BASE": fake.url, "DELIVERY_POLL_INTERVAL": "0.1",
            "DELIVERY_BACKOFF_BASE": "0.05", "SEND_TIMEOUT": "1",
        }.items():
            monkeypatch.setenv(name, value)
        yield fake


def event(event_id: str, status: str = "result_ready", **extra: Any) -> dict[str, Any]:
    return {"event_id": event_id, "code": CODE, "status": status, "due_date": "2025-12-08", "missing": [],
            "pickup_place": "Bộ phận một cửa UBND phường Hải Châu", **extra}


def signed(body: dict[str, Any], secret: str = SECRET, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return raw, {"X-Dossier-Timestamp": stamp, "X-Dossier-Signature": signature(secret, stamp, raw),
                 "content-type": "application/json"}


async def report(client: httpx.AsyncClient, body: dict[str, Any], **how: Any) -> httpx.Response:
    raw, headers = signed(body, **how)
    return await client.post(URL, content=raw, headers=headers)


def run(zalo: FakeZalo, scenario: Any) -> None:
    settings = RasaSettings()
    channels = (ZaloInput(settings),)

    async def go() -> None:
        async with serve(DossierStatusInput(settings), Recorder(), agent_with(utter_more_choices="Thêm:"),
                         also=channels) as client:
            await scenario(client, settings)
    asyncio.run(go())


async def until(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return bool(predicate())


def test_unsigned_wrongly_signed_or_stale_reports_are_refused(zalo: FakeZalo) -> None:
    async def scenario(client: httpx.AsyncClient, settings: RasaSettings) -> None:
        raw, headers = signed(event("e1"))
        assert (await client.post(URL, content=raw)).status_code == 401
        assert (await report(client, event("e1"), secret="guess")).status_code == 401
        assert (await report(client, event("e1"), timestamp=int(time.time()) - 301)).status_code == 401
        assert (await report(client, event("e1"), timestamp=int(time.time()) + 301)).status_code == 401
        tampered = raw.replace(b"result_ready", b"cancelled")
        assert (await client.post(URL, content=tampered, headers=headers)).status_code == 401
        assert (await report(client, event("e1", status="overdue"))).status_code == 400
        assert (await report(client, event(""))).status_code == 400
        assert (await report(client, event("e1", timestamp=int(time.time()) - 200))).status_code == 200
    run(zalo, scenario)


def test_each_change_reaches_each_follower_once(zalo: FakeZalo) -> None:
    async def scenario(client: httpx.AsyncClient, settings: RasaSettings) -> None:
        engine = engine_for(settings.database_url)
        channels = shared_store(settings.database_url)
        channels.accept("zalo", "m-1", "u-1", {"event_name": "user_send_text"})  # the citizen wrote just now
        zalo.interactions["u-1"] = time.time()
        store.subscribe(engine, code=CODE, channel="zalo", recipient="u-1")
        store.subscribe(engine, code=CODE, channel="web", recipient="web-abc")
        answer = await report(client, event("e1", status="needs_documents", missing=["Bản sao giấy kết hôn"]))
        assert answer.status_code == 200 and answer.json() == {"status": "accepted", "queued": 2, "refused": 0}
        assert (await report(client, event("e1", status="needs_documents"))).json() == {"status": "duplicate"}
        assert await until(lambda: len(zalo.texts_to("u-1")) == 1)
        assert "Bản sao giấy kết hôn" in zalo.texts_to("u-1")[0]
        web = channels.messages_for("web", "web-abc")
        assert len(web) == 1 and web[0].origin == "dossier" and "cần bổ sung" in web[0].message["text"]
        done = await report(client, event("e2", status="completed"))
        assert done.json()["queued"] == 2
        assert await until(lambda: len(zalo.texts_to("u-1")) == 2)
        assert "ngừng theo dõi" in zalo.texts_to("u-1")[1]
        assert (await report(client, event("e3", status="returned"))).json()["queued"] == 0  # following ended
    run(zalo, scenario)


@pytest.mark.parametrize("outside", ["none", "transaction"])
def test_outside_zalos_window_only_what_the_oa_may_send(zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch,
                                                         outside: str) -> None:
    monkeypatch.setenv("ZALO_OUTSIDE_WINDOW", outside)

    async def scenario(client: httpx.AsyncClient, settings: RasaSettings) -> None:
        engine = engine_for(settings.database_url)
        channels = shared_store(settings.database_url)
        channels.accept("zalo", "m-1", "u-old", {"event_name": "user_send_text"})
        with engine.begin() as conn:  # the citizen last wrote eight days ago
            conn.exec_driver_sql("UPDATE channel_inbox SET received_at = received_at - 8 * 86400")
        store.subscribe(engine, code=CODE, channel="zalo", recipient="u-old")
        answer = (await report(client, event("e1"))).json()
        if outside == "none":
            assert answer == {"status": "accepted", "queued": 0, "refused": 1}
            refused = channels.all_messages("zalo")
            assert refused[0].status == "undeliverable" and "window" in (refused[0].last_error or "")
            await asyncio.sleep(0.5)
            assert zalo.sent == []
        else:
            assert answer["queued"] == 1
            assert await until(lambda: len(zalo.sent) == 1)
            payload = zalo.sent[0].message["attachment"]["payload"]
            assert payload["template_type"].startswith("transaction_") and "đã có kết quả" in json.dumps(
                payload, ensure_ascii=False)
    run(zalo, scenario)


def test_a_window_that_closed_before_the_send_is_recorded_as_refused(zalo: FakeZalo) -> None:
    async def scenario(client: httpx.AsyncClient, settings: RasaSettings) -> None:
        engine = engine_for(settings.database_url)
        channels = shared_store(settings.database_url)
        channels.accept("zalo", "m-1", "u-2", {"event_name": "user_send_text"})
        store.subscribe(engine, code=CODE, channel="zalo", recipient="u-2")
        # our inbox says the citizen wrote recently; Zalo knows better (no interaction recorded)
        assert (await report(client, event("e1"))).json()["queued"] == 1
        assert await until(lambda: channels.all_messages("zalo")[0].status == "undeliverable")
        assert "window" in (channels.all_messages("zalo")[0].last_error or "") and len(zalo.refused) == 1
    run(zalo, scenario)
