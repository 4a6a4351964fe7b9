"""The channel tests drive a Sanic app inside ``asyncio.run`` (tests/connectors/channel_app.py).

Importing Sanic makes uvloop the process's event-loop policy, and under load such a run
occasionally never returned: every thread idle, the loop waiting for a wake-up that did not
come (seen in test_bad_input's Zalo and Telegram tests). These unit tests use the standard
loop; the real Rasa server, with uvloop, is what the integration tests run."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def standard_event_loop() -> Iterator[None]:
    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())
    yield
    asyncio.set_event_loop_policy(previous)
