"""connectors.zalo: the Zalo OA webhook and sending through the OA API (a local fake of it)."""

from __future__ import annotations

import asyncio
import json
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from connectors.settings import RasaSettings
from connectors.zalo import ZaloInput, signature
from servers.database import migrated_sqlite
from servers.fake_platforms import FakeZalo, zalo_event
from tests.connectors.channel_app import Recorder, agent_with, serve
from tthc_data.channels import shared_store
from tthc_text.platform_messages import ZaloRenderer

pytestmark = pytest.mark.rasa

URL = "/webhooks/zalo/webhook"
OA_SECRET = "oa-secret-key"
UNSUPPORTED = "Dạ, em chỉ đọc được chữ."


@pytest.fixture()
def zalo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeZalo]:
    monkeypatch.setattr(Sanic, "test_mode", True)
    with FakeZalo() as fake:
        for name, value in {
            "DATABASE_URL": migrated_sqlite(tmp_path / "zalo.db"),
            "ZALO_APP_ID": fake.app_id, "ZALO_OA_SECRET_KEY": OA_SECRET, "ZALO_APP_SECRET_KEY": fake.app_secret,
            "ZALO_ACCESS_TOKEN": fake.access_token, "ZALO_REFRESH_TOKEN": fake.refresh_token,
            "ZALO_API_BASE": fake.url, "ZALO_OAUTH_BASE": fake.url,
            "DELIVERY_POLL_INTERVAL": "0.1", "DELIVERY_BACKOFF_BASE": "0.05", "SEND_TIMEOUT": "1",
            "REPLY_TIMEOUT": "5",
        }.items():
            monkeypatch.setenv(name, value)
        yield fake


def signed(body: dict[str, Any], secret: str = OA_SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    mac = signature(body["app_id"], raw, body["timestamp"], secret)
    return raw, {"X-ZEvent-Signature": f"mac={mac}", "content-type": "application/json"}


async def post_event(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    raw, headers = signed(body)
    return await client.post(URL, content=raw, headers=headers)


async def until(fake: FakeZalo, predicate: Any, timeout: float = 15) -> bool:
    return await asyncio.to_thread(fake.wait_until, predicate, timeout)


def test_a_signed_text_is_answered_at_once_and_the_reply_is_sent(zalo: FakeZalo) -> None:
    recorder = Recorder([{"text": "Dạ, làm giấy khai sinh cần tờ khai và giấy chứng sinh."}])

    async def scenario() -> httpx.Response:
        async with serve(ZaloInput(RasaSettings()), recorder) as client:
            answer = await post_event(client, zalo_event(
                "user_send_text", "user-1", text=unicodedata.normalize("NFD", "làm giấy khai sinh"), msg_id="m1"))
            assert await until(zalo, lambda: zalo.sent)
            return answer

    answer = asyncio.run(scenario())
    assert answer.status_code == 200 and answer.json() == {"status": "accepted"}
    (message,) = recorder.received
    assert message.text == "làm giấy khai sinh" and unicodedata.is_normalized("NFC", message.text)
    assert message.sender_id == "zalo:user-1" and message.input_channel == "zalo"  # scoped by channel
    assert zalo.texts_to("user-1") == ["Dạ, làm giấy khai sinh cần tờ khai và giấy chứng sinh."]


@pytest.mark.parametrize("case", ["missing", "wrong secret", "tampered body", "other timestamp"])
def test_an_unsigned_or_wrongly_signed_event_gets_401_and_reaches_nobody(zalo: FakeZalo, case: str) -> None:
    recorder = Recorder()
    body = zalo_event("user_send_text", "user-1", text="xin chào")

    async def scenario() -> httpx.Response:
        async with serve(ZaloInput(RasaSettings()), recorder) as client:
            raw, headers = signed(body, secret="not-the-secret" if case == "wrong secret" else OA_SECRET)
            if case == "missing":
                headers.pop("X-ZEvent-Signature")
            if case == "tampered body":
                raw = raw.replace("xin chào".encode(), "chuyển tiền".encode())
            if case == "other timestamp":
                changed = dict(body, timestamp=str(int(body["timestamp"]) + 1))
                raw = json.dumps(changed, ensure_ascii=False).encode()
            return await client.post(URL, content=raw, headers=headers)

    answer = asyncio.run(scenario())
    assert answer.status_code == 401
    assert recorder.received == [] and zalo.sent == []


@pytest.mark.parametrize("case", ["16 minutes old", "2 minutes ahead", "not a time", "within the window",
                                  "old, with no window"])
def test_a_signed_event_outside_the_freshness_window_is_refused_as_a_replay(
        zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    # a captured, correctly signed event sent again later (after its id left the de-duplication
    # table) must not reach the bot
    now_ms = int(time.time() * 1000)
    stamp = {"16 minutes old": now_ms - 16 * 60_000, "2 minutes ahead": now_ms + 120_000, "not a time": "soon",
             "within the window": now_ms - 10 * 60_000, "old, with no window": now_ms - 86_400_000}[case]
    if case == "old, with no window":
        monkeypatch.setenv("ZALO_EVENT_MAX_AGE", "0")
    recorder = Recorder([{"text": "Dạ."}])
    body = dict(zalo_event("user_send_text", "user-1", text="xin chào", msg_id=f"m-{case}"), timestamp=str(stamp))

    async def scenario() -> httpx.Response:
        async with serve(ZaloInput(RasaSettings()), recorder) as client:
            answer = await post_event(client, body)
            if answer.status_code == 200:
                assert await until(zalo, lambda: zalo.sent)
            return answer

    answer = asyncio.run(scenario())
    if case in ("within the window", "old, with no window"):
        assert answer.json() == {"status": "accepted"} and len(recorder.received) == 1
    else:
        assert answer.status_code == 403 and "timestamp" in answer.json()["error"]
        assert recorder.received == [] and zalo.sent == []


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_gets_400(zalo: FakeZalo, raw: bytes) -> None:
    async def scenario() -> httpx.Response:
        async with serve(ZaloInput(RasaSettings()), Recorder()) as client:
            return await client.post(URL, content=raw, headers={"X-ZEvent-Signature": "mac=00"})

    assert asyncio.run(scenario()).status_code == 400


def test_zalo_retries_of_one_message_are_handled_once(zalo: FakeZalo) -> None:
    recorder = Recorder([{"text": "Dạ vâng."}])
    body = zalo_event("user_send_text", "user-2", text="lệ phí bao nhiêu", msg_id="same-id")

    async def scenario() -> list[dict[str, Any]]:
        async with serve(ZaloInput(RasaSettings()), recorder) as client:
            answers = [(await post_event(client, body)).json() for _ in range(3)]
            assert await until(zalo, lambda: zalo.sent)
            await asyncio.sleep(0.3)
            return answers

    answers = asyncio.run(scenario())
    assert answers == [{"status": "accepted"}, {"status": "duplicate"}, {"status": "duplicate"}]
    assert recorder.texts == ["lệ phí bao nhiêu"]
    assert zalo.texts_to("user-2") == ["Dạ vâng."]


def test_a_sticker_gets_a_polite_text_without_reaching_the_bot(zalo: FakeZalo) -> None:
    recorder = Recorder()

    async def scenario() -> None:
        async with serve(ZaloInput(RasaSettings()), recorder, agent_with(utter_unsupported_message=UNSUPPORTED)) as client:
            answer = await post_event(client, zalo_event("user_send_sticker", "user-3"))
            assert answer.status_code == 200
            assert await until(zalo, lambda: zalo.sent)

    asyncio.run(scenario())
    assert recorder.received == []
    assert zalo.texts_to("user-3") == [UNSUPPORTED]


def test_receipts_and_unknown_events_are_acknowledged_and_ignored(zalo: FakeZalo) -> None:
    recorder = Recorder()

    async def scenario() -> list[int]:
        async with serve(ZaloInput(RasaSettings()), recorder) as client:
            codes = []
            for event in ("user_seen_message", "user_received_message", "oa_send_text", "some_future_event"):
                codes.append((await post_event(client, zalo_event(event, "user-4"))).status_code)
            await asyncio.sleep(0.3)
            return codes

    assert asyncio.run(scenario()) == [200, 200, 200, 200]
    assert recorder.received == [] and zalo.sent == []


def test_long_answers_are_split_and_buttons_come_back_as_their_payload(zalo: FakeZalo) -> None:
    long_text = "\n".join(f"{i}. Giấy tờ số {i}: bản chính hoặc bản sao có chứng thực." for i in range(1, 120))
    buttons = [{"title": f"Khía cạnh {i}", "payload": f'/ask_fee{{"procedure_code":"1.00{i}"}}'} for i in range(7)]
    recorder = Recorder([{"text": long_text, "buttons": buttons}])
    expected, _ = ZaloRenderer().render({"text": long_text, "buttons": buttons})

    async def scenario() -> list[Any]:
        async with serve(ZaloInput(RasaSettings()), recorder) as client:
            await post_event(client, zalo_event("user_send_text", "user-5", text="cần giấy tờ gì", msg_id="a"))
            assert await until(zalo, lambda: len(zalo.sent) == len(expected))
            first_answer = list(zalo.sent)
            # The citizen taps a button: Zalo sends the button's text as a message.
            await post_event(client, zalo_event("user_send_text", "user-5", text="Khía cạnh 3", msg_id="b"))
            assert await until(zalo, lambda: len(recorder.received) == 2)
            return first_answer

    first_answer = asyncio.run(scenario())
    assert len(expected) == 5  # four parts of text, then the remaining buttons
    assert expected[-1]["text"] == "Anh/chị có thể chọn thêm:"
    sent = [m.message for m in first_answer]
    assert all(len(m["text"]) <= 2000 for m in sent)
    texts = [m["text"] for m in sent if "Giấy tờ" in m["text"]]
    assert "\n".join(texts) == long_text  # nothing lost, split at line breaks
    with_buttons = [m for m in sent if "attachment" in m]
    titles = [b["title"] for m in with_buttons for b in m["attachment"]["payload"]["buttons"]]
    assert titles == [b["title"] for b in buttons]  # all seven, at most five per message
    assert all(len(m["attachment"]["payload"]["buttons"]) <= 5 for m in with_buttons)
    assert all(b["type"] == "oa.query.show" for m in with_buttons for b in m["attachment"]["payload"]["buttons"])
    assert recorder.texts[1] == '/ask_fee{"procedure_code":"1.003"}'


def test_an_expired_access_token_is_refreshed_and_the_new_tokens_kept(zalo: FakeZalo) -> None:
    recorder = Recorder([{"text": "Dạ."}])
    zalo.expire_token()

    async def scenario() -> None:
        async with serve(ZaloInput(RasaSettings()), recorder) as client:
            await post_event(client, zalo_event("user_send_text", "user-6", text="xin chào", msg_id="t1"))
            assert await until(zalo, lambda: zalo.sent)
            zalo.expire_token()  # again: the rotated refresh token must be the one used
            await post_event(client, zalo_event("user_send_text", "user-6", text="cảm ơn", msg_id="t2"))
            assert await until(zalo, lambda: len(zalo.sent) == 2)

    asyncio.run(scenario())
    assert zalo.refreshes == 2
    store = shared_store(RasaSettings().database_url)
    assert store.token("zalo_refresh_token")[0] == zalo.refresh_token
    assert store.token("zalo_access_token")[0] == zalo.access_token


def test_server_errors_and_timeouts_are_retried_until_delivered(zalo: FakeZalo) -> None:
    recorder = Recorder([{"text": "Dạ, thời hạn giải quyết là 3 ngày làm việc."}])
    zalo.fail_next(2, status=502)
    zalo.fail_next(1, status=200, delay=1.5)  # slower than SEND_TIMEOUT=1: a timeout

    async def scenario() -> None:
        async with serve(ZaloInput(RasaSettings()), recorder) as client:
            await post_event(client, zalo_event("user_send_text", "user-7", text="mất bao lâu", msg_id="r1"))
            assert await until(zalo, lambda: zalo.sent, timeout=30)

    asyncio.run(scenario())
    assert zalo.texts_to("user-7") == ["Dạ, thời hạn giải quyết là 3 ngày làm việc."]
    (row,) = shared_store(RasaSettings().database_url).all_messages("zalo")
    assert row.status == "sent" and row.attempts == 4


def test_while_zalo_is_down_replies_are_kept_and_delivered_in_order_after(zalo: FakeZalo) -> None:
    recorder = Recorder([{"text": "Trả lời thứ nhất."}, {"text": "Trả lời thứ hai."}])
    zalo.fail_next(1000, status=503)

    async def scenario() -> list[str]:
        async with serve(ZaloInput(RasaSettings()), recorder) as client:
            await post_event(client, zalo_event("user_send_text", "user-8", text="nộp ở đâu", msg_id="d1"))
            await asyncio.sleep(1.0)
            statuses = [m.status for m in shared_store(RasaSettings().database_url).all_messages("zalo")]
            with zalo.lock:
                zalo.failures.clear()  # Zalo is back
            assert await until(zalo, lambda: len(zalo.sent) == 2, timeout=30)
            return statuses

    statuses = asyncio.run(scenario())
    assert statuses and set(statuses) <= {"pending", "sending"}  # kept while down
    assert zalo.texts_to("user-8") == ["Trả lời thứ nhất.", "Trả lời thứ hai."]


def test_a_message_zalo_refuses_for_good_is_kept_as_undeliverable(zalo: FakeZalo) -> None:
    zalo.not_following.add("user-9")

    async def scenario() -> None:
        async with serve(ZaloInput(RasaSettings()), Recorder()) as client:
            await post_event(client, zalo_event("user_send_text", "user-9", text="xin chào", msg_id="u1"))
            store = shared_store(RasaSettings().database_url)
            assert await until(zalo, lambda: any(m.status == "undeliverable" for m in store.all_messages("zalo")))

    asyncio.run(scenario())
    (row,) = shared_store(RasaSettings().database_url).all_messages("zalo")
    assert row.status == "undeliverable" and "-213" in (row.last_error or "")
    assert row.message["text"] == "Dạ, em trả lời anh/chị."


def test_when_the_bot_fails_the_citizen_still_gets_a_polite_answer(zalo: FakeZalo) -> None:
    async def broken(message: UserMessage) -> None:
        raise RuntimeError("action server down")

    async def scenario() -> None:
        agent = agent_with(utter_service_unavailable="Hệ thống đang bảo trì, anh/chị thử lại sau.")
        async with serve(ZaloInput(RasaSettings()), broken, agent) as client:
            await post_event(client, zalo_event("user_send_text", "user-10", text="làm căn cước", msg_id="f1"))
            assert await until(zalo, lambda: zalo.sent)

    asyncio.run(scenario())
    assert zalo.texts_to("user-10") == ["Hệ thống đang bảo trì, anh/chị thử lại sau."]
    # not saved by the bot: the event stays unprocessed, to be processed again later
    assert [e.key for e in shared_store(RasaSettings().database_url).unprocessed("zalo")] == ["f1"]


def test_an_event_accepted_but_never_processed_is_processed_later(zalo: FakeZalo) -> None:
    recorder = Recorder([{"text": "Dạ, đã nhận."}])
    channel = ZaloInput(RasaSettings())
    body = zalo_event("user_send_text", "user-11", text="đăng ký tạm trú", msg_id="lost-1")
    # As if the server had stopped right after accepting the event.
    # (lease=0: its lease has run out, as it has 2 minutes after an acceptance)
    shared_store(RasaSettings().database_url).accept("zalo", "lost-1", "user-11", body, lease=0)

    async def scenario() -> int:
        async with serve(channel, recorder):
            assert channel.conversations is not None
            # the delivery worker looks for such events when it starts, and every 15 scans
            assert await until(zalo, lambda: zalo.sent)
            return await channel.conversations.worker.reprocess_inbox()  # nothing left to redo

    assert asyncio.run(scenario()) == 0
    assert recorder.texts == ["đăng ký tạm trú"]
    assert zalo.texts_to("user-11") == ["Dạ, đã nhận."]
    assert shared_store(RasaSettings().database_url).unprocessed("zalo") == []


def test_an_event_that_always_fails_is_tried_a_few_times_then_marked_failed(
        zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INBOX_MAX_ATTEMPTS", "3")
    calls: list[str] = []

    async def broken(message: UserMessage) -> None:  # whatever this message does to the bot
        calls.append(message.text)
        raise ValueError("cannot handle this text")

    channel = ZaloInput(RasaSettings())
    body = zalo_event("user_send_text", "user-12", text="tin nhắn hỏng", msg_id="poison-1")

    async def scenario() -> list[int]:
        async with serve(channel, broken, agent_with(utter_service_unavailable="Xin lỗi.")) as client:
            assert channel.conversations is not None
            worker = channel.conversations.worker
            worker.inbox_lease = 0.0  # handed out again at once rather than 2 minutes later
            await post_event(client, body)
            assert await until(zalo, lambda: zalo.sent)  # the citizen was told once
            await channel.conversations.drain()
            shared_store(RasaSettings().database_url).defer("zalo", "poison-1", -1)  # its lease ran out
            handled = []
            for _ in range(4):
                await asyncio.sleep(0.05)
                handled.append(await worker.reprocess_inbox())
            return handled

    asyncio.run(scenario())
    store = shared_store(RasaSettings().database_url)
    assert len(calls) == 3  # the first try and two more: then never again
    assert store.unprocessed("zalo") == []
    count, (failed,) = store.failed_events()
    assert count == 1 and (failed.key, failed.sender, failed.attempts) == ("poison-1", "user-12", 3)
    assert "cannot handle this text" in (failed.last_error or "")
    assert zalo.texts_to("user-12") == ["Xin lỗi."]


def test_the_renderer_keeps_short_text_whole() -> None:
    parts, choices = ZaloRenderer().render({"text": "Xin chào", "buttons": [{"title": "Có", "payload": "/affirm"}]})
    assert parts == [{"text": "Xin chào", "attachment": {"type": "template", "payload": {
        "buttons": [{"title": "Có", "type": "oa.query.show", "payload": "Có"}]}}}]
    assert choices == {"có": "/affirm"}
