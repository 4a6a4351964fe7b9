"""connectors.telegram: webhook and polling on python-telegram-bot, against a local fake Bot API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sanic import Sanic

from connectors.settings import RasaSettings
from connectors.telegram import TelegramInput
from servers.database import migrated_sqlite
from servers.fake_platforms import FakeTelegram, telegram_callback_update, telegram_text_update
from tests.connectors.channel_app import Recorder, agent_with, serve
from tthc_data.channels import shared_store
from tthc_text.message_parts import choice_token
from tthc_text.platform_messages import TelegramRenderer

pytestmark = pytest.mark.rasa

URL = "/webhooks/telegram/webhook"
SECRET = "webhook-secret-123"


@pytest.fixture()
def telegram(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTelegram]:
    monkeypatch.setattr(Sanic, "test_mode", True)
    with FakeTelegram() as fake:
        for name, value in {
            "DATABASE_URL": migrated_sqlite(tmp_path / "telegram.db"),
            "TELEGRAM_TOKEN": fake.token, "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE": fake.base_url, "TELEGRAM_MODE": "webhook",
            "DELIVERY_POLL_INTERVAL": "0.1", "DELIVERY_BACKOFF_BASE": "0.05", "SEND_TIMEOUT": "1",
            "REPLY_TIMEOUT": "5",
        }.items():
            monkeypatch.setenv(name, value)
        yield fake


async def post_update(client: httpx.AsyncClient, update: Any, secret: str | None = SECRET) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    body = update if isinstance(update, bytes) else json.dumps(update, ensure_ascii=False).encode()
    return await client.post(URL, content=body, headers=headers)


async def until(fake: FakeTelegram, predicate: Any, timeout: float = 15) -> bool:
    return await asyncio.to_thread(fake.wait_until, predicate, timeout)


def test_a_text_message_is_answered_through_the_bot_api(telegram: FakeTelegram) -> None:
    recorder = Recorder([{"text": "Dạ, lệ phí <miễn phí> & không mất tiền."}])

    async def scenario() -> httpx.Response:
        async with serve(TelegramInput(RasaSettings()), recorder) as client:
            answer = await post_update(client, telegram_text_update(1, 555, "le phi lam khai sinh"))
            assert await until(telegram, lambda: telegram.sent)
            return answer

    answer = asyncio.run(scenario())
    assert answer.status_code == 200 and answer.json() == {"status": "accepted"}
    (message,) = recorder.received
    assert (message.text, message.sender_id, message.input_channel) == ("le phi lam khai sinh", "telegram:555", "telegram")
    (sent,) = telegram.sent
    # HTML parse mode, the bot's text escaped so it shows as written
    assert sent.parse_mode == "HTML"
    assert sent.text == "Dạ, lệ phí &lt;miễn phí&gt; &amp; không mất tiền."


@pytest.mark.parametrize("secret", [None, "wrong", ""])
def test_a_missing_or_wrong_secret_token_gets_401(telegram: FakeTelegram, secret: str | None) -> None:
    recorder = Recorder()

    async def scenario() -> httpx.Response:
        async with serve(TelegramInput(RasaSettings()), recorder) as client:
            return await post_update(client, telegram_text_update(2, 555, "xin chào"), secret=secret)

    assert asyncio.run(scenario()).status_code == 401
    assert recorder.received == [] and telegram.sent == []


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"message": {}}', b'{"update_id": "7"}',
                                  b'{"update_id": 7, "message": "text"}', b"\xff"])
def test_a_body_that_is_not_an_update_gets_400(telegram: FakeTelegram, body: bytes) -> None:
    async def scenario() -> httpx.Response:
        async with serve(TelegramInput(RasaSettings()), Recorder()) as client:
            return await post_update(client, body)

    assert asyncio.run(scenario()).status_code == 400


def test_a_redelivered_update_is_handled_once(telegram: FakeTelegram) -> None:
    recorder = Recorder([{"text": "Dạ."}])
    update = telegram_text_update(10, 556, "nộp ở đâu")

    async def scenario() -> list[Any]:
        async with serve(TelegramInput(RasaSettings()), recorder) as client:
            answers = [(await post_update(client, update)).json()["status"] for _ in range(3)]
            assert await until(telegram, lambda: telegram.sent)
            await asyncio.sleep(0.3)
            return answers

    assert asyncio.run(scenario()) == ["accepted", "duplicate", "duplicate"]
    assert recorder.texts == ["nộp ở đâu"]
    assert telegram.texts_to("556") == ["Dạ."]


def test_buttons_are_an_inline_keyboard_and_a_tap_runs_the_payload(telegram: FakeTelegram) -> None:
    payload = '/ask_fee{"procedure_code":"1.001193"}'
    recorder = Recorder([{"text": "Anh/chị muốn biết gì thêm?",
                          "buttons": [{"title": "Lệ phí", "payload": payload},
                                      {"title": "Nơi nộp", "payload": '/ask_place{"procedure_code":"1.001193"}'}]}])

    async def scenario() -> None:
        async with serve(TelegramInput(RasaSettings()), recorder) as client:
            await post_update(client, telegram_text_update(20, 557, "khai sinh"))
            assert await until(telegram, lambda: telegram.sent)
            keyboard = telegram.sent[0].reply_markup["inline_keyboard"]
            await post_update(client, telegram_callback_update(21, 557, keyboard[0][0]["callback_data"]))
            assert await until(telegram, lambda: len(recorder.received) == 2 and telegram.answered_callbacks)

    asyncio.run(scenario())
    keyboard = telegram.sent[0].reply_markup["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["Lệ phí", "Nơi nộp"]
    assert all(len(row[0]["callback_data"].encode()) <= 64 for row in keyboard)
    assert recorder.texts[1] == payload
    assert telegram.answered_callbacks == ["cb21"]


def test_start_greets_and_a_photo_gets_a_polite_text(telegram: FakeTelegram) -> None:
    recorder = Recorder([{"text": "Xin chào anh/chị!"}])
    photo = telegram_text_update(31, 558, "x")
    del photo["message"]["text"]
    photo["message"]["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 10, "height": 10}]

    async def scenario() -> None:
        agent = agent_with(utter_unsupported_message="Dạ, tôi chỉ đọc được chữ.")
        async with serve(TelegramInput(RasaSettings()), recorder, agent) as client:
            await post_update(client, telegram_text_update(30, 558, "/start"))
            await post_update(client, photo)
            assert await until(telegram, lambda: len(telegram.sent) == 2)

    asyncio.run(scenario())
    assert recorder.texts == ["/greet"]
    assert sorted(telegram.texts_to("558")) == sorted(["Xin chào anh/chị!", "Dạ, tôi chỉ đọc được chữ."])


def test_rate_limits_and_server_errors_are_retried_a_blocked_chat_is_kept(telegram: FakeTelegram) -> None:
    recorder = Recorder([{"text": "Dạ, 5 ngày làm việc."}])
    telegram.fail_next(1, status=429, body={"ok": False, "error_code": 429, "description": "Too Many Requests",
                                            "parameters": {"retry_after": 1}})
    telegram.fail_next(1, status=500, body={"ok": False, "error_code": 500, "description": "Internal"})
    telegram.blocked.add("560")

    async def scenario() -> None:
        async with serve(TelegramInput(RasaSettings()), recorder) as client:
            await post_update(client, telegram_text_update(40, 559, "bao lâu"))
            await post_update(client, telegram_text_update(41, 560, "bao lâu"))
            store = shared_store(RasaSettings().database_url)
            assert await until(telegram, lambda: {m.status for m in store.all_messages("telegram")}
                               == {"sent", "undeliverable"}, timeout=30)

    asyncio.run(scenario())
    assert telegram.texts_to("559") == ["Dạ, 5 ngày làm việc."]
    rows = {m.recipient: m for m in shared_store(RasaSettings().database_url).all_messages("telegram")}
    assert rows["559"].status == "sent" and rows["559"].attempts >= 2
    assert rows["560"].status == "undeliverable" and "blocked" in (rows["560"].last_error or "")


def test_polling_mode_fetches_updates_and_answers_them(telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_MODE", "polling")
    recorder = Recorder([{"text": "Dạ, có thể nộp trực tuyến."}])
    telegram.queue_update(telegram_text_update(50, 561, "nộp online được không"))

    async def scenario() -> None:
        async with serve(TelegramInput(RasaSettings()), recorder):
            assert await until(telegram, lambda: telegram.sent, timeout=30)

    asyncio.run(scenario())
    assert recorder.texts == ["nộp online được không"]
    assert telegram.texts_to("561") == ["Dạ, có thể nộp trực tuyến."]
    assert any(method == "getUpdates" for method, _ in telegram.requests)


def test_the_renderer_splits_after_escaping() -> None:
    text = "<b>" * 2000  # 6,000 characters, 8,000 once escaped
    parts, _ = TelegramRenderer().render({"text": text})
    assert all(len(p["text"]) <= 4096 for p in parts)
    assert "".join(p["text"] for p in parts) == "&lt;b&gt;" * 2000


def test_button_tokens_are_short_and_stable() -> None:
    payload = '/ask_documents{"procedure_code":"1.001193","place":"' + "phường Hòa Cường" * 5 + '"}'
    assert choice_token(payload) == choice_token(payload)
    assert len(choice_token(payload).encode()) <= 64
    assert choice_token(payload) != choice_token(payload + " ")
