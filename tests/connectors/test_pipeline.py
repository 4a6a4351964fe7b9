"""connectors.pipeline: one message through the bot, with a time limit, told whether it was saved."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage

from connectors.pipeline import replies_or_apology, run_turn
from connectors.tracker_store import _failed

pytestmark = pytest.mark.rasa

DOMAIN = None  # no domain: the built-in polite wording


def message(text: str = "lệ phí bao nhiêu") -> UserMessage:
    return UserMessage(text, CollectingOutputChannel(), "citizen-1", input_channel="rest")


def test_the_bots_replies_are_the_turn_and_nothing_failed() -> None:
    async def bot(m: UserMessage) -> None:
        await m.output_channel.send_text_message(m.sender_id, "Dạ, miễn phí ạ.")

    turn = asyncio.run(run_turn(bot, message(), 5, "rest"))
    assert (turn.failed, turn.timed_out, turn.error) == (False, False, None)
    assert [m["text"] for m in turn.messages] == ["Dạ, miễn phí ạ."]
    assert replies_or_apology(turn, DOMAIN) == (turn.messages, True)


def test_an_error_fails_the_turn_with_the_error() -> None:
    async def bot(_: UserMessage) -> None:
        raise ValueError("boom")

    turn = asyncio.run(run_turn(bot, message(), 5, "rest"))
    assert turn.failed and isinstance(turn.error, ValueError)


def test_a_store_that_failed_fails_the_turn_without_an_error_to_count() -> None:
    async def bot(m: UserMessage) -> None:
        _failed(RuntimeError("database is locked"))  # what the tracker store records on failure
        await m.output_channel.send_text_message(m.sender_id, "Dạ.")

    turn = asyncio.run(run_turn(bot, message(), 5, "rest"))
    assert turn.failed and turn.error is None  # worth trying again, however often


def test_a_slow_reply_times_out_but_the_message_keeps_being_processed() -> None:
    finished: list[str] = []

    async def bot(m: UserMessage) -> None:
        await asyncio.sleep(0.3)
        finished.append(m.text or "")

    async def scenario() -> Any:
        turn = await run_turn(bot, message(), 0.05, "rest")
        await asyncio.sleep(0.5)
        return turn

    turn = asyncio.run(scenario())
    assert turn.timed_out and not turn.failed
    assert finished == ["lệ phí bao nhiêu"]  # shielded: not cancelled
    replies, answered = replies_or_apology(turn, DOMAIN)
    assert not answered and len(replies) == 1 and replies[0]["text"]


def test_a_message_without_a_collecting_channel_is_refused() -> None:
    async def bot(_: UserMessage) -> None:
        return None

    with pytest.raises(TypeError):
        asyncio.run(run_turn(bot, UserMessage("x", OutputChannel(), "s"), 1, "rest"))  # nowhere to collect
