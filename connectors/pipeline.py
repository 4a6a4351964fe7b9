"""The one path a citizen's message takes through the bot, whatever the channel.

Every channel (REST, web, Zalo, Telegram) parses its platform's payload into a
``UserMessage`` and hands it to :func:`run_turn`, which runs it through the bot with a
time limit and tells whether the turn was saved:

- the bot's processing is shielded: a slow reply is answered politely (or queued late),
  but the message keeps being processed and saved; nothing the citizen sent is dropped;
- a processing error, or a conversation store that failed while the message was handled
  (Rasa's fail-safe wrapper would silently keep it in memory only), makes the turn
  ``failed``: the channel asks the client to send again (REST, web: 503) or processes the
  event again later (Zalo, Telegram);
- :func:`replies_or_apology` gives what the citizen should see: the bot's messages, or the
  domain's polite "service unavailable" text instead of silence.

Validation, the rate limit and de-duplication come before, in the channel (they depend on
the platform: a REST message id, a Zalo ``msg_id`` in the inbox).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from connectors.messages import unavailable_text
from connectors.tracker_store import watch_store

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


@dataclass
class Turn:
    """What became of one message run through the bot."""

    messages: list[dict[str, Any]] = field(default_factory=list)  # what the bot said, in order
    failed: bool = False  # not saved: the client or the inbox must bring it again
    error: BaseException | None = None  # what processing raised (None when only the store failed)
    timed_out: bool = False  # no reply in time (the message is still being processed)


async def run_turn(on_new_message: OnNewMessage, message: UserMessage, timeout: float, label: str) -> Turn:
    """Run ``message`` (whose output channel must be a ``CollectingOutputChannel``) through
    the bot, waiting at most ``timeout`` seconds for its replies."""
    collector = message.output_channel
    if not isinstance(collector, CollectingOutputChannel):
        raise TypeError("run_turn collects the replies: give the message a CollectingOutputChannel")
    health = watch_store()  # the task below inherits it
    task = asyncio.ensure_future(on_new_message(message))
    turn = Turn(messages=collector.messages)
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=timeout)
    except asyncio.TimeoutError:
        logger.error("%s: no reply within %ss for %s", label, timeout, message.sender_id)
        turn.timed_out = True
    except Exception as raised:  # noqa: BLE001 - the citizen must get an answer whatever failed
        logger.exception("%s: failed to handle a message from %s", label, message.sender_id)
        turn.failed, turn.error = True, raised
    if health.failed:
        logger.error("%s: the conversation store failed for %s: %s", label, message.sender_id, health.error)
        turn.failed, turn.error = True, None  # the store was down: worth trying again, however often
    return turn


def replies_or_apology(turn: Turn, domain: Any, keep: Callable[[dict[str, Any]], bool] = lambda m: True,
                       ) -> tuple[list[dict[str, Any]], bool]:
    """The messages the citizen should see and whether they are the bot's own (False: the
    polite "service unavailable" text stands in for a reply that never came)."""
    replies = [m for m in turn.messages if keep(m)]
    if replies:
        return replies, True
    return [{"text": unavailable_text(domain)}], False
