"""Mounting an input channel in a Sanic app the way Rasa does, and driving it over ASGI.

sanic-testing is not installed in .venv-rasa, so the app is driven with httpx's ASGI
transport (what sanic-testing's ASGI client does): the server-start listeners run first
(channels start their delivery worker there), the server-stop listeners at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from rasa.core.agent import Agent
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.domain import Domain
from sanic import Sanic


class Recorder:
    """A stand-in for Rasa's message processor at the channel boundary: records what the
    channel hands over and answers with fixed messages (text, optionally buttons)."""

    def __init__(self, replies: list[dict[str, Any]] | None = None) -> None:
        self.replies = [{"text": "Dạ, em trả lời anh/chị."}] if replies is None else replies
        self.received: list[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        for reply in self.replies:
            if reply.get("buttons"):
                await message.output_channel.send_text_with_buttons(message.sender_id, reply["text"], reply["buttons"])
            else:
                await message.output_channel.send_text_message(message.sender_id, reply["text"])

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.received]


def agent_with(**responses: str) -> Agent:
    """An agent whose domain has these responses (name -> text)."""
    lines = ['version: "3.1"', "responses:"]
    for name, text in responses.items():
        lines += [f"  {name}:", f"  - text: {text!r}"]
    return Agent(domain=Domain.from_yaml("\n".join(lines) + "\n"))


@asynccontextmanager
async def serve(channel: InputChannel, on_new_message: Any, agent: Agent | None = None,
                also: tuple[InputChannel, ...] = ()) -> AsyncIterator[httpx.AsyncClient]:
    """``channel`` (and the ``also`` channels, as one Rasa server has several) in a Sanic app."""
    app = Sanic(f"test_{channel.name()}_{uuid.uuid4().hex}")
    for mounted in (channel, *also):
        app.blueprint(mounted.blueprint(on_new_message), url_prefix=f"/webhooks/{mounted.name()}")
    if agent is not None:
        app.ctx.agent = agent
    app.asgi = True
    await app._startup()
    await app._server_event("init", "before")
    await app._server_event("init", "after")
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            yield client
    finally:
        await app._server_event("shutdown", "before")
        await app._server_event("shutdown", "after")
