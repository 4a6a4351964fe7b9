"""The one-stop system's status webhook: ``POST /webhooks/dossier/status``.

A city's one-stop system (or its bridge) reports each change of a dossier::

    POST /webhooks/dossier/status
    X-Dossier-Timestamp: 1764576000
    X-Dossier-Signature: hex(HMAC-SHA256(DOSSIER_WEBHOOK_SECRET, timestamp + "." + raw body))

    {"event_id": "evt-81", "code": "000.00.12.H40-251201-0007", "status": "result_ready",
     "due_date": "2025-12-08", "missing": [], "pickup_place": "Bộ phận một cửa UBND phường"}

A missing or wrong signature, or a timestamp more than ``DOSSIER_WEBHOOK_MAX_SKEW`` (300 s)
from our clock → 401. A body that is not the contract → 400 with the reason. An
``event_id`` already handled → 200 ``{"status": "duplicate"}`` and nothing sent. Otherwise the
change becomes one short message to each follower, queued in the outbox in the same
transaction that records the event (:func:`tthc_data.dossiers.apply_change`) → 200
``{"status": "accepted", "queued": n}``; if the database is away → 503 (the system retries).
Turned on by ``DOSSIER_WEBHOOK_SECRET``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.messages import BodyError, json_object_body
from connectors.settings import RasaSettings, get_settings
from dossiers.record import DossierRecord, MalformedRecord, parse_record
from dossiers.wording import update_text, zalo_title
from tthc_data import dossiers as store
from tthc_data.engine import engine_for
from tthc_text.dossier_codes import mask_code

logger = logging.getLogger(__name__)
VIETNAM = dt.timezone(dt.timedelta(hours=7))
MAX_EVENT_ID = 128


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """hex HMAC-SHA256(secret, timestamp + "." + raw body)."""
    return hmac.new(secret.encode("utf-8"), timestamp.encode("ascii", "replace") + b"." + body,
                    hashlib.sha256).hexdigest()


def signed_in_time(secret: str, timestamp: str | None, given: str | None, body: bytes, *, max_skew: float,
                   now: float) -> bool:
    """Whether a request carries a valid signature and a timestamp (seconds since the epoch)
    within ``max_skew`` seconds of ``now``, either way."""
    if not secret or not timestamp or not given:
        return False
    timestamp = timestamp.strip()
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs(now - int(timestamp)) > max_skew:
        return False
    return hmac.compare_digest(given.strip().lower().encode("ascii", "replace"),
                               signature(secret, timestamp, body).encode())


class DossierStatusInput(InputChannel):
    """Not a conversation channel: the one-stop system's status reports, under Rasa's
    ``/webhooks/dossier/`` like the platforms' webhooks."""

    @classmethod
    def name(cls) -> str:
        return "dossier"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(get_settings())

    def __init__(self, settings: RasaSettings) -> None:
        self.settings = settings

    def zalo_window(self) -> store.ZaloWindow:
        return store.ZaloWindow(seconds=self.settings.zalo_cs_window_days * 86400,
                                outside=self.settings.zalo_outside_window, title=zalo_title())

    def handle(self, event_id: str, record: DossierRecord) -> store.ChangeOutcome:
        """Record the change and queue its messages (in a thread: plain SQL)."""
        return store.apply_change(
            engine_for(self.settings.database_url), code=record.code, event_key=f"webhook:{event_id}",
            status=record.status, fingerprint=record.fingerprint(), final=record.final,
            text=update_text(record, dt.datetime.now(VIETNAM).date()), zalo=self.zalo_window())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)
        channel = self

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            body = request.body or b""
            settings = channel.settings
            if not signed_in_time(settings.dossier_webhook_secret or "", request.headers.get("X-Dossier-Timestamp"),
                                  request.headers.get("X-Dossier-Signature"), body,
                                  max_skew=settings.dossier_webhook_max_skew, now=time.time()):
                logger.warning("dossier status report refused: missing or wrong signature, or stale timestamp")
                return response.json({"error": "missing or invalid X-Dossier-Signature / X-Dossier-Timestamp"},
                                     status=401)
            try:
                data = json_object_body(body)
            except BodyError as error:
                return response.json({"error": str(error)}, status=error.status)
            event_id = data.get("event_id")
            if not isinstance(event_id, (str, int)) or isinstance(event_id, bool) or not str(event_id).strip() \
                    or len(str(event_id)) > MAX_EVENT_ID:
                return response.json({"error": f"'event_id' must be a string of 1 to {MAX_EVENT_ID} characters"},
                                     status=400)
            try:
                record = parse_record(data)
            except MalformedRecord as error:
                return response.json({"error": str(error)}, status=400)
            try:
                outcome = await asyncio.to_thread(channel.handle, str(event_id), record)
            except Exception:  # noqa: BLE001 - not recorded: the system sends it again
                logger.exception("could not record a dossier status report")
                return response.json({"error": "temporarily unavailable"}, status=503, headers={"Retry-After": "5"})
            if outcome.duplicate:
                return response.json({"status": "duplicate"})
            logger.info("dossier %s: %s, %d message(s) queued, %d refused", mask_code(record.code),
                        record.status, outcome.queued, outcome.refused)
            worker = getattr(request.app.ctx, "delivery_worker", None)
            if worker is not None and outcome.queued:
                worker.kick()
            return response.json({"status": "accepted", "queued": outcome.queued, "refused": outcome.refused})

        return webhook
