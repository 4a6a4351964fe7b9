"""Polling followed dossiers, for a one-stop system that has no status webhook.

Each followed dossier is looked up every ``DOSSIER_POLL_INTERVAL`` seconds; a replica polls
only the dossiers it claims in the database (:func:`tthc_data.dossiers.claim_due_watches`), so
with several action servers each dossier is still polled once per interval. A change is
handled exactly as a webhook event is (:func:`tthc_data.dossiers.apply_change`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

from actions.onestop import OneStop, OneStopUnavailable
from dossiers.record import DossierRecord
from dossiers.wording import update_text, zalo_title
from tthc_data import dossiers as store
from tthc_data.engine import engine_for
from tthc_settings import Settings
from tthc_text.dossier_codes import mask_code

logger = logging.getLogger(__name__)
VIETNAM = dt.timezone(dt.timedelta(hours=7))


def zalo_window(settings: Settings) -> store.ZaloWindow:
    return store.ZaloWindow(seconds=settings.zalo_cs_window_days * 86400, outside=settings.zalo_outside_window,
                            title=zalo_title())


def notify(settings: Settings, record: DossierRecord, event_key: str) -> store.ChangeOutcome:
    """One change of a dossier told to its followers (the webhook does the same on its side)."""
    return store.apply_change(
        engine_for(settings.database_url), code=record.code, event_key=event_key, status=record.status,
        fingerprint=record.fingerprint(), final=record.final,
        text=update_text(record, dt.datetime.now(VIETNAM).date()), zalo=zalo_window(settings))


class DossierPoller:
    def __init__(self, settings: Settings, onestop: OneStop) -> None:
        self.settings = settings
        self.onestop = onestop

    async def poll_once(self) -> int:
        """Poll the dossiers due now; the number of changes found."""
        settings = self.settings
        engine = engine_for(settings.database_url)
        codes = await asyncio.to_thread(store.claim_due_watches, engine, interval=settings.dossier_poll_interval)
        changes = 0
        for code in codes:
            try:
                record = await self.onestop.lookup(code, deadline=time.monotonic() + settings.dossier_timeout)
            except OneStopUnavailable as error:
                logger.warning("poll of dossier %s failed: %s", mask_code(code), error)
                continue
            if record is None:
                continue
            last = await asyncio.to_thread(store.last_fingerprint, engine, code)
            if last is None:  # followed before anything was recorded: what it says now is the baseline
                await asyncio.to_thread(store.record_baseline, engine, code=code, status=record.status,
                                        fingerprint=record.fingerprint())
                continue
            if last == record.fingerprint():
                continue  # nothing new to tell
            outcome = await asyncio.to_thread(notify, settings, record, f"poll:{code}:{time.time():.6f}")
            changes += not outcome.duplicate
        return changes

    async def run(self) -> None:
        """Poll for as long as the server runs."""
        pause = max(1.0, min(30.0, self.settings.dossier_poll_interval / 4))
        while True:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database may be briefly away: try at the next turn
                logger.exception("dossier poll failed")
            await asyncio.sleep(pause)
