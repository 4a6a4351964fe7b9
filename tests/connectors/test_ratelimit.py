"""connectors.ratelimit and the rate limit on the channels."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sanic import Sanic

from connectors.ratelimit import RateLimiter, RedisRateLimiter, make_limiter
from connectors.rest import PoliteRestInput
from connectors.settings import RasaSettings
from connectors.web import WebInput
from connectors.zalo import ZaloInput, signature
from servers.database import migrated_sqlite
from servers.fake_platforms import FakeZalo, zalo_event
from tests.connectors.channel_app import Recorder, agent_with, serve
from tthc_data.channels import shared_store

pytestmark = pytest.mark.rasa


def test_a_sender_may_send_the_limit_then_waits_for_the_window() -> None:
    limiter = RateLimiter(limit=3, window=10)
    assert [limiter.wait_time("a", now=t) for t in (0, 1, 2)] == [0, 0, 0]
    assert limiter.wait_time("a", now=3) == pytest.approx(7)  # the first hit leaves the window at 10
    assert limiter.wait_time("b", now=3) == 0  # other senders are not affected
    assert limiter.wait_time("a", now=10.5) == 0


SPELLINGS = ["Citizen-7", "citizen-7", "CITIZEN-7", "ｃｉｔｉｚｅｎ－７", "citi\u200bzen-7", "\u200dcitizen-7\u2060",
             " citizen-7 ", "\u202ecitizen-7"]


def test_a_changed_case_zero_width_or_full_width_character_is_the_same_sender() -> None:
    limiter = RateLimiter(limit=len(SPELLINGS) - 1, window=60)
    waits = [limiter.wait_time(spelling, now=0.0) for spelling in SPELLINGS]
    assert waits[:-1] == [0.0] * (len(SPELLINGS) - 1) and waits[-1] > 0  # one allowance for all spellings
    assert limiter.wait_time("citizen-8", now=0.0) == 0.0


def test_spellings_share_one_count_in_redis_too(redis_url: str) -> None:
    limiter = RedisRateLimiter(redis_url, limit=2, window=30, prefix="tthc:ratelimit:spell:")
    assert [limiter.wait_time(s) for s in ("Zalo-User", "zalo-user", "ＺＡＬＯ-ＵＳＥＲ")][2] > 0


def test_quiet_senders_are_forgotten() -> None:
    limiter = RateLimiter(limit=1, window=1)
    for i in range(1000):
        limiter.wait_time(f"s{i}", now=0)
    limiter.wait_time("late", now=5)
    assert list(limiter._hits) == ["late"]


def test_zero_turns_the_limit_off() -> None:
    limiter = RateLimiter(limit=0, window=60)
    assert all(limiter.wait_time("a", now=0) == 0 for _ in range(100))


@pytest.fixture()
def settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(Sanic, "test_mode", True)
    monkeypatch.setenv("DATABASE_URL", migrated_sqlite(tmp_path / "rl.db"))
    monkeypatch.setenv("RATE_LIMIT_MESSAGES", "3")
    monkeypatch.setenv("RATE_LIMIT_WINDOW", "60")
    yield


def test_the_rest_channel_answers_429_with_a_polite_text(settings_env: None) -> None:
    recorder = Recorder()

    async def scenario() -> list[httpx.Response]:
        agent = agent_with(utter_too_many_messages="Anh/chị gửi nhanh quá, vui lòng chờ chút.")
        async with serve(PoliteRestInput(RasaSettings()), recorder, agent) as client:
            return [await client.post("/webhooks/rest/webhook", json={"sender": "fast", "message": f"câu {i}"})
                    for i in range(4)] + [
                await client.post("/webhooks/rest/webhook", json={"sender": "calm", "message": "xin chào"})]

    answers = asyncio.run(scenario())
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 200]
    assert int(answers[3].headers["retry-after"]) >= 1
    assert answers[3].json()[0]["text"] == "Anh/chị gửi nhanh quá, vui lòng chờ chút."
    assert recorder.texts == ["câu 0", "câu 1", "câu 2", "xin chào"]


def test_one_address_making_up_sender_ids_is_limited_on_the_rest_channel(
        settings_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_MESSAGES", "100")
    monkeypatch.setenv("RATE_LIMIT_ADDRESS_MESSAGES", "3")

    async def scenario() -> list[int]:
        async with serve(PoliteRestInput(RasaSettings()), Recorder(), agent_with(utter_greet="Chào")) as client:  # from 127.0.0.1
            return [(await client.post("/webhooks/rest/webhook", json={"sender": f"id-{i}", "message": "hi"}))
                    .status_code for i in range(5)]

    # a tool on this machine (the dialogue evaluation, a benchmark) is not counted per address
    assert asyncio.run(scenario()) == [200] * 5
    # ... any other address is, however many ids it makes up
    monkeypatch.setenv("RATE_LIMIT_EXEMPT_ADDRESSES", "[]")
    assert asyncio.run(scenario()) == [200, 200, 200, 429, 429]


def test_one_sender_is_counted_once_on_the_rest_and_web_channels(settings_env: None) -> None:
    recorder = Recorder()

    async def scenario() -> list[int]:
        async with serve(PoliteRestInput(RasaSettings()), recorder, agent_with(utter_greet="Chào"), also=(WebInput(RasaSettings()),)) as client:
            codes = []
            for channel in ("rest", "web", "rest", "web", "web"):
                answer = await client.post(f"/webhooks/{channel}/webhook", json={"sender": "shared", "message": "hi"})
                codes.append(answer.status_code)
            return codes

    assert asyncio.run(scenario()) == [200, 200, 200, 429, 429]  # the limit is 3, whatever the channel


def test_on_zalo_a_flood_is_deferred_not_dropped(settings_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder([{"text": "Dạ."}])
    with FakeZalo() as zalo:
        for name, value in {"ZALO_APP_ID": zalo.app_id, "ZALO_OA_SECRET_KEY": "k", "ZALO_ACCESS_TOKEN": zalo.access_token,
                            "ZALO_API_BASE": zalo.url, "DELIVERY_POLL_INTERVAL": "0.1"}.items():
            monkeypatch.setenv(name, value)

        async def scenario() -> None:
            async with serve(ZaloInput(RasaSettings()), recorder) as client:
                for i in range(5):
                    body = zalo_event("user_send_text", "flood", text=f"tin {i}", msg_id=f"f{i}")
                    raw = __import__("json").dumps(body).encode()
                    mac = signature(body["app_id"], raw, body["timestamp"], "k")
                    answer = await client.post("/webhooks/zalo/webhook", content=raw,
                                               headers={"X-ZEvent-Signature": f"mac={mac}"})
                    assert answer.status_code == 200  # Zalo must not retry: the event is kept
                assert await asyncio.to_thread(zalo.wait_until, lambda: len(zalo.sent) >= 4, 15)
                await asyncio.sleep(0.5)

        asyncio.run(scenario())
        texts = zalo.texts_to("flood")
    assert recorder.texts == ["tin 0", "tin 1", "tin 2"]
    assert texts.count("Dạ.") == 3 and len(texts) == 4  # one request to slow down, not two
    waiting = shared_store(RasaSettings().database_url).unprocessed("zalo")
    assert sorted(e.key for e in waiting) == ["f3", "f4"]  # kept, processed when the window allows


def test_replicas_share_one_limit_in_redis(redis_url: str) -> None:
    replica_1 = RedisRateLimiter(redis_url, limit=3, window=30, prefix="tthc:ratelimit:web:")
    replica_2 = RedisRateLimiter(redis_url, limit=3, window=30, prefix="tthc:ratelimit:web:")
    assert [replica_1.wait_time("a"), replica_2.wait_time("a"), replica_1.wait_time("a")] == [0, 0, 0]
    wait = replica_2.wait_time("a")  # the fourth, on either replica
    assert 29 < wait <= 30
    assert replica_1.wait_time("b") == 0  # another sender
    other_channel = RedisRateLimiter(redis_url, limit=3, window=30, prefix="tthc:ratelimit:zalo:")
    assert other_channel.wait_time("a") == 0


def test_the_redis_window_slides(redis_url: str) -> None:
    limiter = RedisRateLimiter(redis_url, limit=2, window=0.5)
    assert limiter.wait_time("a") == 0 and limiter.wait_time("a") == 0
    assert limiter.wait_time("a") > 0
    time.sleep(0.6)
    assert limiter.wait_time("a") == 0


def test_without_redis_messages_pass_rather_than_fail() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{port}/0", limit=1, window=60)
    assert limiter.wait_time("a") == 0 and limiter.wait_time("a") == 0


def test_the_settings_choose_the_limiter(redis_url: str) -> None:
    assert isinstance(make_limiter("web", 5, 60, None), RateLimiter)
    shared = make_limiter("web", 1, 60, redis_url)
    assert isinstance(shared, RedisRateLimiter)
    assert shared.wait_time("x") == 0 and shared.wait_time("x") > 0
