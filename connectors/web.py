"""The web chat widget's channel: ``/webhooks/web/webhook`` and ``/webhooks/web/updates``.

A message from the widget is answered in the HTTP response exactly as on the REST channel
(same validation and polite fallbacks), but recorded under the channel name ``web`` so the
staff console can tell web conversations apart. Messages that reach a web user later
(staff replies from a handoff) wait in the outbox; the widget fetches them with
``GET /webhooks/web/updates?sender=...&after=<last id seen>``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.messages import MAX_SENDER_CHARS
from connectors.rest import PoliteRestInput
from tthc_data.channels import shared_store

# The outbox's ids are database integers: a larger 'after' is a bad request, not a failed query.
MAX_MESSAGE_ID = 2**63 - 1

CHANNEL = "web"


class WebInput(PoliteRestInput):
    """The widget's channel (always on)."""

    limits_addresses = False  # the widget's messages come through the web front, which counts addresses
    refuses_widget_ids = False  # ... under the ids it issued

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.route("/updates", methods=["GET"])
        async def updates(request: Request) -> HTTPResponse:
            sender = (request.args.get("sender") or "").strip()
            if not sender or len(sender) > MAX_SENDER_CHARS:
                return response.json({"error": "'sender' is required (at most 128 characters)"}, status=400)
            try:
                after = max(0, int(request.args.get("after") or 0))
            except ValueError:  # not a number, or more than 4,300 digits
                after = -1
            if not 0 <= after <= MAX_MESSAGE_ID:
                return response.json({"error": f"'after' must be a whole number up to {MAX_MESSAGE_ID}"}, status=400)
            store = shared_store(self.settings.database_url)
            try:
                queued = await asyncio.to_thread(store.messages_for, CHANNEL, sender, after)
                if queued:
                    await asyncio.to_thread(store.mark_fetched, CHANNEL, sender, queued[-1].id)
            except Exception:  # noqa: BLE001 - the database is briefly unavailable: try later
                return response.json({"error": "temporarily unavailable"}, status=503, headers={"Retry-After": "5"})
            messages = [
                {"id": m.id, "text": m.message.get("text", ""), "buttons": m.message.get("buttons", []),
                 "origin": m.origin}
                for m in queued
            ]
            return response.json({"messages": messages, "last_id": messages[-1]["id"] if messages else after})

        return webhook
