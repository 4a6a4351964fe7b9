"""connectors.rest.PoliteRestInput, mounted in a Sanic app the way Rasa mounts channels.

sanic-testing is not installed in .venv-rasa, so the app is driven over ASGI with httpx
(what sanic-testing's ASGI client does): the listeners Sanic would run at server start are
run first, then requests go through the app's ASGI entry point.
"""

from __future__ import annotations

import asyncio
import json
import time
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.domain import Domain
from sanic import Sanic

from connectors.messages import FALLBACK_UNAVAILABLE
from connectors.rest import PoliteRestInput
from connectors.settings import RasaSettings

pytestmark = pytest.mark.rasa

URL = "/webhooks/rest/webhook"
DOMAIN_TEXT = "Hệ thống đang bảo trì. Anh/chị vui lòng quay lại sau."

Handler = Callable[[UserMessage], Awaitable[Any]]


def make_app(on_new_message: Handler, agent: Any = None) -> Sanic:
    app = Sanic(f"test_rest_{uuid.uuid4().hex}")
    channel = PoliteRestInput(RasaSettings())
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/rest")
    if agent is not None:
        app.ctx.agent = agent
    return app


async def start(app: Sanic) -> httpx.AsyncClient:
    app.asgi = True
    await app._startup()
    await app._server_event("init", "before")
    await app._server_event("init", "after")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def post_json(client: httpx.AsyncClient, payload: Any) -> Awaitable[httpx.Response]:
    return client.post(URL, content=json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def agent_with_unavailable_text() -> Agent:
    domain = Domain.from_yaml(
        f'version: "3.1"\nresponses:\n  utter_service_unavailable:\n  - text: "{DOMAIN_TEXT}"\n'
    )
    return Agent(domain=domain)


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Any:
    # Test mode, as sanic-testing sets it: lets several apps start in one process.
    monkeypatch.setattr(Sanic, "test_mode", True)
    monkeypatch.setenv("REPLY_TIMEOUT", "20")
    yield


class Recorder:
    """A stand-in for Rasa's processor at the channel boundary."""

    def __init__(self, replies: list[str] | None = None) -> None:
        self.replies = ["Dạ, em trả lời anh/chị."] if replies is None else replies
        self.received: list[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        for reply in self.replies:
            await message.output_channel.send_text_message(message.sender_id, reply)


def test_health() -> None:
    async def scenario() -> httpx.Response:
        async with await start(make_app(Recorder())) as client:
            return await client.get("/webhooks/rest/")

    response = asyncio.run(scenario())
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_channel_name_is_rest() -> None:
    assert PoliteRestInput.name() == "rest"


def test_the_bot_replies_are_returned_and_the_message_reaches_the_bot() -> None:
    recorder = Recorder(["Dạ, anh/chị cần:", "1. Giấy chứng sinh"])

    async def scenario() -> httpx.Response:
        async with await start(make_app(recorder)) as client:
            return await post_json(
                client,
                {
                    "sender": "citizen-7",
                    "message": unicodedata.normalize("NFD", "Làm giấy khai sinh\x00 ở đâu?"),
                    "metadata": {"source": "web"},
                },
            )

    response = asyncio.run(scenario())
    assert response.status_code == 200
    assert response.json() == [
        {"recipient_id": "citizen-7", "text": "Dạ, anh/chị cần:"},
        {"recipient_id": "citizen-7", "text": "1. Giấy chứng sinh"},
    ]
    (message,) = recorder.received
    assert message.text == "Làm giấy khai sinh ở đâu?"  # NFC, control character stripped
    assert message.sender_id == "citizen-7"
    assert message.input_channel == "rest"
    assert message.metadata == {"source": "web"}
    assert isinstance(message.output_channel, CollectingOutputChannel)


def test_an_integer_sender_is_answered_as_a_string() -> None:
    recorder = Recorder(["ok"])

    async def scenario() -> httpx.Response:
        async with await start(make_app(recorder)) as client:
            return await post_json(client, {"sender": 12345, "message": "xin chào"})

    response = asyncio.run(scenario())
    assert response.status_code == 200
    assert response.json() == [{"recipient_id": "12345", "text": "ok"}]
    assert recorder.received[0].sender_id == "12345"


@pytest.mark.parametrize("message", ["", "   ", "\n\t"])
def test_an_empty_message_is_answered_without_the_bot(message: str) -> None:
    recorder = Recorder(["should not be used"])
    domain = Domain.from_yaml('version: "3.1"\nresponses:\n  utter_empty_message:\n  - text: "Hãy nhập câu hỏi."\n')

    async def scenario() -> httpx.Response:
        async with await start(make_app(recorder, Agent(domain=domain))) as client:
            return await post_json(client, {"sender": "u", "message": message})

    response = asyncio.run(scenario())
    assert response.status_code == 200
    assert response.json() == [{"recipient_id": "u", "text": "Hãy nhập câu hỏi."}]
    assert recorder.received == []


def test_an_empty_message_without_a_domain_gets_the_built_in_sentence() -> None:
    async def scenario() -> httpx.Response:
        async with await start(make_app(Recorder([]))) as client:
            return await post_json(client, {"sender": "u", "message": " "})

    response = asyncio.run(scenario())
    assert response.json()[0]["text"].startswith("Anh/chị vui lòng nhập câu hỏi")


def test_no_reply_gives_the_domain_unavailable_text() -> None:
    recorder = Recorder([])

    async def scenario() -> httpx.Response:
        async with await start(make_app(recorder, agent_with_unavailable_text())) as client:
            return await post_json(client, {"sender": "u1", "message": "xin chào"})

    response = asyncio.run(scenario())
    assert response.status_code == 200
    assert response.json() == [{"recipient_id": "u1", "text": DOMAIN_TEXT}]
    assert len(recorder.received) == 1


def test_no_reply_and_no_agent_gives_the_built_in_sentence() -> None:
    async def scenario() -> httpx.Response:
        async with await start(make_app(Recorder([]))) as client:
            return await post_json(client, {"sender": "u1", "message": "xin chào"})

    response = asyncio.run(scenario())
    assert response.status_code == 200
    assert response.json() == [{"recipient_id": "u1", "text": FALLBACK_UNAVAILABLE}]


def test_an_agent_without_a_domain_gives_the_built_in_sentence() -> None:
    async def scenario() -> httpx.Response:
        agent = agent_with_unavailable_text()
        agent.domain = None  # no model loaded yet
        async with await start(make_app(Recorder([]), agent)) as client:
            return await post_json(client, {"sender": "u1", "message": "xin chào"})

    response = asyncio.run(scenario())
    assert response.json() == [{"recipient_id": "u1", "text": FALLBACK_UNAVAILABLE}]


def test_a_failing_bot_gives_the_polite_text_with_503_so_the_client_resends(
        caplog: pytest.LogCaptureFixture) -> None:
    async def failing(message: UserMessage) -> None:
        raise RuntimeError("action server unreachable")

    async def scenario() -> httpx.Response:
        async with await start(make_app(failing, agent_with_unavailable_text())) as client:
            return await post_json(client, {"sender": "u2", "message": "lệ phí bao nhiêu"})

    with caplog.at_level("ERROR", logger="connectors.rest"):
        response = asyncio.run(scenario())
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert response.json() == [{"recipient_id": "u2", "text": DOMAIN_TEXT}]
    assert "action server unreachable" in caplog.text


def test_replies_sent_before_a_failure_are_kept() -> None:
    async def half_failing(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "Dạ, em tra cứu:")
        raise RuntimeError("boom")

    async def scenario() -> httpx.Response:
        async with await start(make_app(half_failing, agent_with_unavailable_text())) as client:
            return await post_json(client, {"sender": "u", "message": "x"})

    response = asyncio.run(scenario())
    assert response.status_code == 503
    assert response.json() == [{"recipient_id": "u", "text": "Dạ, em tra cứu:"},
                               {"recipient_id": "u", "text": DOMAIN_TEXT}]


def test_a_slow_bot_is_answered_politely_and_still_finishes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLY_TIMEOUT", "0.5")
    assert RasaSettings().reply_timeout == 0.5
    finished = asyncio.Event()
    handled: list[UserMessage] = []

    async def slow(message: UserMessage) -> None:
        handled.append(message)
        await asyncio.sleep(1.5)
        await message.output_channel.send_text_message(message.sender_id, "trả lời muộn")
        finished.set()

    async def scenario() -> tuple[httpx.Response, float, bool, bool]:
        async with await start(make_app(slow, agent_with_unavailable_text())) as client:
            began = time.monotonic()
            response = await post_json(client, {"sender": "u3", "message": "đk kết hôn"})
            elapsed = time.monotonic() - began
            done_at_reply = finished.is_set()
            # The message keeps being processed after the polite reply went out.
            await asyncio.wait_for(finished.wait(), timeout=10)
            return response, elapsed, done_at_reply, finished.is_set()

    response, elapsed, done_at_reply, done_later = asyncio.run(scenario())
    assert response.status_code == 200
    assert response.json() == [{"recipient_id": "u3", "text": DOMAIN_TEXT}]
    assert 0.4 <= elapsed < 1.4
    assert not done_at_reply
    assert done_later
    # The late reply went to that request's collector, after the response had been sent.
    (message,) = handled
    assert isinstance(message.output_channel, CollectingOutputChannel)
    assert message.output_channel.messages[-1] == {"recipient_id": "u3", "text": "trả lời muộn"}
    assert "trả lời muộn" not in response.text


def test_a_bot_within_the_timeout_is_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLY_TIMEOUT", "2")

    async def a_bit_slow(message: UserMessage) -> None:
        await asyncio.sleep(0.3)
        await message.output_channel.send_text_message(message.sender_id, "đúng hẹn")

    async def scenario() -> httpx.Response:
        async with await start(make_app(a_bit_slow)) as client:
            return await post_json(client, {"sender": "u", "message": "x"})

    assert asyncio.run(scenario()).json() == [{"recipient_id": "u", "text": "đúng hẹn"}]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"not json", 'the body must be a JSON object: {"sender": "...", "message": "..."}'),
        (b"[1, 2]", 'the body must be a JSON object: {"sender": "...", "message": "..."}'),
        (b"\xff\xfe", "the body must be UTF-8 encoded JSON"),
        (b'{"message": "hi"}', "'sender' must be a non-empty string"),
        (b'{"sender": "u"}', "'message' must be a string"),
        (b'{"sender": "u", "message": "hi", "metadata": [1]}', "'metadata' must be a JSON object"),
        (json.dumps({"sender": "u", "message": "a" * 5001}).encode(), "'message' must be at most 5000 characters"),
        (json.dumps({"sender": "s" * 129, "message": "hi"}).encode(), "'sender' must be at most 128 characters"),
    ],
)
def test_bad_bodies_get_400_with_an_error_and_never_reach_the_bot(content: bytes, error: str) -> None:
    recorder = Recorder()

    async def scenario() -> httpx.Response:
        async with await start(make_app(recorder)) as client:
            return await client.post(URL, content=content)

    response = asyncio.run(scenario())
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"error": error}
    assert recorder.received == []


def test_replayed_replies_are_the_bot_messages_after_that_user_message() -> None:
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    from connectors.rest import replayed_replies

    events = [
        UserUttered("xin chào", message_id="m1"), BotUttered("Chào anh/chị"), ActionExecuted("action_listen"),
        UserUttered("khai sinh", message_id="m2"), ActionExecuted("action_answer"),
        BotUttered("Giấy tờ cần có:", data={"buttons": [{"title": "Lệ phí", "payload": "/fee"}]}),
        BotUttered("Nguồn: dichvucong.gov.vn"), ActionExecuted("action_listen"),
        UserUttered("cảm ơn", message_id="m3"),
    ]
    assert replayed_replies(events, "u", "m2") == [
        {"recipient_id": "u", "text": "Giấy tờ cần có:", "buttons": [{"title": "Lệ phí", "payload": "/fee"}]},
        {"recipient_id": "u", "text": "Nguồn: dichvucong.gov.vn"},
    ]
    assert replayed_replies(events, "u", "m1") == [{"recipient_id": "u", "text": "Chào anh/chị"}]
    assert replayed_replies(events, "u", "m3") == []  # handled, nothing said (yet)
    assert replayed_replies(events, "u", "m4") is None  # never handled


def test_a_message_sent_again_with_its_id_is_answered_not_handled_twice() -> None:
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.events import BotUttered, UserUttered

    domain = Domain.from_yaml('version: "3.1"\n')
    store = InMemoryTrackerStore(domain)
    agent = Agent(domain=domain, tracker_store=store)
    handled: list[str] = []

    async def processor(message: UserMessage) -> None:  # what Rasa's processor records
        handled.append(message.text)
        tracker = await store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, message_id=message.message_id))
        reply = f"Trả lời {len(handled)}"
        tracker.update(BotUttered(reply))
        await store.save(tracker)
        await message.output_channel.send_text_message(message.sender_id, reply)

    async def scenario() -> list[httpx.Response]:
        client = await start(make_app(processor, agent))
        async with client:
            bodies: list[dict[str, Any]] = [
                {"sender": "u1", "message": "khai sinh", "message_id": "w-1"},
                {"sender": "u1", "message": "khai sinh", "message_id": "w-1"},
                {"sender": "u1", "message": "khai sinh", "message_id": "w-2"},
                {"sender": "u1", "message": "khai sinh"},
                {"sender": "u1", "message": "x", "message_id": 7},
            ]
            return [await post_json(client, body) for body in bodies]

    first, again, other, plain, bad = asyncio.run(scenario())
    assert first.status_code == again.status_code == other.status_code == plain.status_code == 200
    assert first.json() == again.json() == [{"recipient_id": "u1", "text": "Trả lời 1"}]
    assert other.json()[0]["text"] == "Trả lời 2" and plain.json()[0]["text"] == "Trả lời 3"
    assert handled == ["khai sinh"] * 3
    assert bad.status_code == 400 and "message_id" in bad.json()["error"]


def test_a_traced_message_gets_the_turn_record_as_its_last_message() -> None:
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.events import BotUttered, SlotSet, UserUttered

    domain = Domain.from_yaml('version: "3.1"\nslots:\n  turn:\n    type: any\n    mappings: [{type: custom}]\n')
    store = InMemoryTrackerStore(domain)
    agent = Agent(domain=domain, tracker_store=store)
    record = {"outcome": "answer", "codes": ["1.001193"], "aspect": "fee"}

    async def processor(message: UserMessage) -> None:  # what Rasa records with action_respond
        tracker = await store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text))
        if message.text != "im lặng":  # this turn records nothing (an action that failed)
            tracker.update(SlotSet("turn", record))
            tracker.update(BotUttered("Lệ phí: miễn phí"))
            await message.output_channel.send_text_message(message.sender_id, "Lệ phí: miễn phí")
        await store.save(tracker)

    async def scenario() -> list[httpx.Response]:
        async with await start(make_app(processor, agent)) as client:
            return [await post_json(client, body) for body in (
                {"sender": "t1", "message": "phí bn", "metadata": {"trace": True}},
                {"sender": "t1", "message": "phí bn"},
                {"sender": "t1", "message": "phí bn", "metadata": {"trace": "yes"}},
                {"sender": "t1", "message": "im lặng", "metadata": {"trace": True}},
            )]

    traced, plain, not_true, silent = asyncio.run(scenario())
    assert traced.json() == [{"recipient_id": "t1", "text": "Lệ phí: miễn phí"},
                             {"recipient_id": "t1", "custom": {"turn": record}}]
    assert plain.json() == not_true.json() == [{"recipient_id": "t1", "text": "Lệ phí: miễn phí"}]
    # nothing said: the polite text, and an "error" record (never the previous turn's)
    assert silent.json()[0]["text"] == FALLBACK_UNAVAILABLE
    assert silent.json()[-1] == {"recipient_id": "t1", "custom": {"turn": {"outcome": "error", "codes": [],
                                                                           "aspect": None}}}


def test_turn_record_is_only_read_after_the_last_user_message() -> None:
    from rasa.shared.core.events import SlotSet, UserUttered

    from connectors.trace import turn_record

    old = {"outcome": "answer", "codes": ["1"], "aspect": "fee"}
    assert turn_record([UserUttered("a"), SlotSet("turn", old)]) == old
    assert turn_record([UserUttered("a"), SlotSet("turn", old), UserUttered("b")]) is None
    assert turn_record([UserUttered("a"), SlotSet("turn", "junk")]) is None
