"""Carrying out a dossier step (:mod:`actions.dossier_dialogue`): the lookup through the
one-stop adapter, the failed-proof pause, following, the audit log.

Wrong codes and wrong proofs are one outcome: the same reply, given no sooner than
``DOSSIER_FAILED_REPLY_SECONDS`` after the question reached the one-stop system, so neither
the words nor the time tell which codes exist. Failed proofs are counted in the database
per sender and per code (a web client chooses its own sender id); at
``DOSSIER_FAILED_PROOF_LIMIT`` in an hour lookups pause.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dossier_dialogue import DossierState, Step
from actions.onestop import OneStop, OneStopUnavailable, verified_lookup
from dossiers.wording import lookup_text
from tthc_data import dossiers as store
from tthc_data.engine import engine_for
from tthc_settings import Settings
from tthc_text.conversation_keys import platform_id
from tthc_text.dossier_codes import mask_code

logger = logging.getLogger(__name__)


def dossier_state_of(tracker: Tracker) -> DossierState:
    stage = tracker.get_slot("dossier_stage")
    return DossierState(stage=stage if stage in ("code", "proof") else None,
                        code=tracker.get_slot("dossier_code") or None,
                        verified=tracker.get_slot("dossier_verified") or None)


def dossier_events(state: DossierState, tracker: Tracker, outcome: str) -> list[EventType]:
    values = {"dossier_stage": state.stage, "dossier_code": state.code, "dossier_verified": state.verified}
    events: list[EventType] = [SlotSet(k, v) for k, v in values.items() if tracker.get_slot(k) != v]
    return [*events, SlotSet("turn", {"outcome": f"dossier_{outcome}", "codes": [], "aspect": None})]


class DossierDesk:
    """What the bot does about dossiers in one city: built once with the settings and the
    adapter (None when ``DOSSIER_API_URL`` is unset: lookups are not offered)."""

    def __init__(self, settings: Settings, onestop: OneStop | None) -> None:
        self.settings = settings
        self.onestop = onestop

    @property
    def engine(self) -> Any:
        return engine_for(self.settings.database_url)

    async def carry_out(self, step: Step, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        channel = tracker.get_latest_input_channel() or ""
        state = step.state
        outcome: str = step.kind
        if step.kind == "unfollow":
            ended = await asyncio.to_thread(store.unsubscribe, self.engine, channel=channel,
                                            recipient=platform_id(channel, tracker.sender_id), code=step.code)
            dispatcher.utter_message(response="utter_dossier_unfollowed" if ended else "utter_dossier_not_following")
        elif self.onestop is None:
            dispatcher.utter_message(response="utter_dossier_unavailable")
            state, outcome = DossierState(), "not_offered"
            await self._audit("dossier.lookup", step.code, channel, "not_offered")
        elif step.kind == "ask_code":
            dispatcher.utter_message(response="utter_dossier_ask_code")
        elif step.kind == "ask_proof":
            dispatcher.utter_message(response="utter_dossier_ask_proof", code=step.code)
        elif step.kind == "repeat_proof":
            dispatcher.utter_message(response="utter_dossier_repeat_proof")
        elif step.kind == "cancel":
            dispatcher.utter_message(response="utter_dossier_cancelled")
        elif step.kind == "without":
            dispatcher.utter_message(response="utter_dossier_without")
        elif step.kind == "follow_needs_lookup":
            dispatcher.utter_message(response="utter_dossier_follow_needs_lookup")
        elif step.kind == "follow" and step.code:
            outcome = await self._follow(step.code, channel, tracker, dispatcher)
        elif step.kind == "check" and step.code and step.digits:
            outcome, state = await self._check(step, channel, tracker, dispatcher)
        return dossier_events(state, tracker, outcome)

    async def _audit(self, action: str, code: str | None, channel: str, outcome: str) -> None:
        try:
            await asyncio.to_thread(store.audit_dossier, self.engine, action=action, code=code, channel=channel,
                                    outcome=outcome)
        except Exception:  # noqa: BLE001 - logged; the citizen still gets the answer
            logger.exception("could not write the audit log for a dossier %s", action)

    async def _follow(self, code: str, channel: str, tracker: Tracker, dispatcher: CollectingDispatcher) -> str:
        if channel not in store.FOLLOW_CHANNELS:
            dispatcher.utter_message(response="utter_dossier_follow_not_here")
            return "follow_not_here"
        interval = self.settings.dossier_poll_interval
        try:
            new = await asyncio.to_thread(store.subscribe, self.engine, code=code, channel=channel,
                                          recipient=platform_id(channel, tracker.sender_id),
                                          poll_after=interval if interval > 0 else None)
        except Exception:  # noqa: BLE001 - the database: say so, keep nothing half-done
            logger.exception("could not follow dossier %s", mask_code(code))
            dispatcher.utter_message(response="utter_service_unavailable")
            return "error"
        if interval > 0:
            await self._baseline(code)
        await self._audit("dossier.follow", code, channel, "new" if new else "already")
        dispatcher.utter_message(response="utter_dossier_followed" if new else "utter_dossier_already_followed")
        return "follow"

    async def _baseline(self, code: str) -> None:
        """For a polled system: record what the dossier says now, so the first poll does not
        repeat the status the citizen was just shown (the poll records it when this fails)."""
        if self.onestop is None:
            return
        try:
            record = await self.onestop.lookup(code, deadline=time.monotonic() + self.settings.dossier_timeout)
            if record is not None:
                await asyncio.to_thread(store.record_baseline, self.engine, code=code, status=record.status,
                                        fingerprint=record.fingerprint())
        except Exception:  # noqa: BLE001 - the first poll records it instead
            logger.warning("could not record what dossier %s says now; the first poll will", mask_code(code))

    async def _check(self, step: Step, channel: str, tracker: Tracker,
                     dispatcher: CollectingDispatcher) -> tuple[str, DossierState]:
        assert step.code and step.digits and self.onestop is not None
        code, sender, settings = step.code, tracker.sender_id, self.settings
        state = step.state
        try:
            paused = await asyncio.to_thread(store.proofs_paused, self.engine, sender=sender, code=code,
                                             limit=settings.dossier_failed_proof_limit)
        except Exception:  # noqa: BLE001
            logger.exception("could not count failed proofs")
            dispatcher.utter_message(response="utter_service_unavailable")
            return "error", state
        if paused:
            await self._audit("dossier.lookup", code, channel, "paused")
            dispatcher.utter_message(response="utter_dossier_paused")
            return "paused", state
        started = time.monotonic()
        try:
            record = await verified_lookup(self.onestop, code, step.digits, settings.dossier_timeout)
        except OneStopUnavailable as error:
            logger.warning("dossier %s: %s", mask_code(code), error)
            await self._audit("dossier.lookup", code, channel, "unavailable")
            dispatcher.utter_message(response="utter_dossier_error")
            return "unavailable", state
        if record is None:
            await asyncio.to_thread(store.record_failed_proof, self.engine, sender=sender, code=code)
            await self._audit("dossier.lookup", code, channel, "not_verified")
            await asyncio.sleep(max(0.0, settings.dossier_failed_reply_seconds - (time.monotonic() - started)))
            dispatcher.utter_message(response="utter_dossier_not_found")
            # the reply asks to send them again: digits next are a new proof for this code
            return "not_found", DossierState("proof", code, state.verified)
        await self._audit("dossier.lookup", code, channel, "found")
        today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date()  # Vietnam's date
        dispatcher.utter_message(text=lookup_text(record, today,
                                                  can_follow=channel in store.FOLLOW_CHANNELS))
        return "answer", DossierState(verified=code)
