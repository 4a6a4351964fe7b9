"""What the project keeps about submitted dossiers, for both runtimes.

Only what following a dossier needs (Decree 13/2023/NĐ-CP): the dossier code, the channel
id of each conversation that follows it, and the status history that keeps the same news
from being sent twice; failed ownership proofs as hashes (to pause guessing), nothing else.

- :func:`apply_change`: one status change (from the webhook or a poll) recorded once and
  turned into one message per follower, queued in the channels' outbox in the same
  transaction (in order, retried, nothing lost); a final status ends the following. On Zalo
  the message is of the kind the OA may send at that moment (:class:`ZaloWindow`).
- :func:`record_failed_proof` / :func:`proofs_paused`: the database counts failed proofs per
  sender and per code, whichever replica answered and whatever sender id a client chose.
- :func:`subscribe`, :func:`unsubscribe`, :func:`claim_due_watches` (a poll once across replicas).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from tthc_data.channels import _loads  # the outbox's message column, JSON text or already decoded
from tthc_data.tables import (
    AuditLog,
    as_utc,
    dossier_failed_proofs,
    dossier_statuses,
    dossier_subscriptions,
    dossier_watches,
    inbox,
    outbox,
)
from tthc_text.conversation_keys import LATER_CHANNELS
from tthc_text.dossier_codes import mask_code
from tthc_text.platform_messages import renderer_for
from tthc_text.rate_limit import identity

HOUR = 3600.0
ORIGIN = "dossier"  # the outbox's origin of every dossier message
FOLLOW_CHANNELS = LATER_CHANNELS  # a dossier can be followed where its updates can reach


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def sender_hash(sender: str) -> str:
    return _hash("sender:" + identity(sender))


def code_hash(code: str) -> str:
    return _hash("code:" + code)


# --- failed proofs ------------------------------------------------------------------------
def record_failed_proof(engine: Engine, *, sender: str, code: str, now: float | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(dossier_failed_proofs.insert().values(
            sender_hash=sender_hash(sender), code_hash=code_hash(code), at=time.time() if now is None else now))


def failed_proofs(engine: Engine, *, sender: str, code: str, window: float = HOUR,
                  now: float | None = None) -> tuple[int, int]:
    """Failed proofs in the last ``window`` seconds: by this sender, and for this code."""
    since = (time.time() if now is None else now) - window
    table = dossier_failed_proofs
    with engine.connect() as conn:
        by_sender = conn.execute(select(func.count()).select_from(table).where(
            table.c.sender_hash == sender_hash(sender), table.c.at >= since)).scalar()
        by_code = conn.execute(select(func.count()).select_from(table).where(
            table.c.code_hash == code_hash(code), table.c.at >= since)).scalar()
    return int(by_sender or 0), int(by_code or 0)


def proofs_paused(engine: Engine, *, sender: str, code: str, limit: int = 5, window: float = HOUR,
                  now: float | None = None) -> bool:
    """Whether lookups pause: ``limit`` failed proofs by the sender, or for the code, in the window."""
    by_sender, by_code = failed_proofs(engine, sender=sender, code=code, window=window, now=now)
    return by_sender >= limit or by_code >= limit


# --- following ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Subscription:
    id: int
    code: str
    channel: str
    recipient: str
    created_at: float


def _active(code: str | None = None) -> Any:
    table = dossier_subscriptions
    condition = table.c.ended_at.is_(None)
    return and_(condition, table.c.code == code) if code is not None else condition


def subscribe(engine: Engine, *, code: str, channel: str, recipient: str, poll_after: float | None = None,
              now: float | None = None) -> bool:
    """Follow ``code`` from one conversation; False if it already does. With ``poll_after``
    (a one-stop system without a webhook) the dossier is polled that many seconds later."""
    if channel not in FOLLOW_CHANNELS:
        raise ValueError(f"a {channel!r} conversation cannot be sent messages later")
    now = time.time() if now is None else now
    table = dossier_subscriptions
    with engine.begin() as conn:
        existing = conn.execute(select(table.c.id).where(
            _active(code), table.c.channel == channel, table.c.recipient == recipient)).first()
        if existing is None:
            conn.execute(table.insert().values(code=code, channel=channel, recipient=recipient, created_at=now,
                                               ended_reason=""))
    if poll_after is not None:
        try:
            with engine.begin() as conn:
                if conn.execute(select(dossier_watches.c.code).where(dossier_watches.c.code == code)).first() is None:
                    conn.execute(dossier_watches.insert().values(code=code, next_check_at=now + poll_after))
        except IntegrityError:  # another replica added it meanwhile
            pass
    return existing is None


def unsubscribe(engine: Engine, *, channel: str, recipient: str, code: str | None = None,
                reason: str = "citizen", now: float | None = None) -> int:
    """End one conversation's following (of ``code``, or of every dossier); how many ended."""
    table = dossier_subscriptions
    with engine.begin() as conn:
        ended = conn.execute(table.update().where(_active(code), table.c.channel == channel,
                                                  table.c.recipient == recipient)
                             .values(ended_at=time.time() if now is None else now, ended_reason=reason))
        _forget_unfollowed(conn)
    return int(ended.rowcount or 0)


def subscriptions_of(engine: Engine, *, channel: str, recipient: str) -> list[Subscription]:
    table = dossier_subscriptions
    with engine.connect() as conn:
        rows = conn.execute(select(table).where(_active(), table.c.channel == channel,
                                                table.c.recipient == recipient).order_by(table.c.id)).fetchall()
    return [Subscription(r.id, r.code, r.channel, r.recipient, r.created_at) for r in rows]


def _forget_unfollowed(conn: Connection) -> None:
    """No poll for a dossier nobody follows any more."""
    followed = select(dossier_subscriptions.c.code).where(_active())
    conn.execute(dossier_watches.delete().where(dossier_watches.c.code.not_in(followed)))


# --- status changes -----------------------------------------------------------------------
@dataclass(frozen=True)
class ZaloWindow:
    """Zalo's rule for messages the OA sends on its own: ordinary (consultation) messages
    only within ``seconds`` of the citizen's last message to the OA; outside it, the kind the
    city's OA is allowed to send (``outside``: "transaction" for a transaction message, or
    "none": nothing is sent and the refusal is recorded)."""

    seconds: float = 2 * 24 * HOUR
    outside: str = "none"
    title: str = "Cập nhật hồ sơ"


@dataclass(frozen=True)
class ChangeOutcome:
    duplicate: bool  # the event was handled before: nothing sent
    queued: int = 0  # messages put in the outbox
    refused: int = 0  # followers the platform's rules do not let us reach now (recorded)
    ended: int = 0  # followings ended by a final status


def last_fingerprint(engine: Engine, code: str) -> str | None:
    """What the followers of ``code`` were last told (None: nothing yet)."""
    with engine.connect() as conn:
        return _last_fingerprint(conn, code)


def _last_fingerprint(conn: Connection, code: str) -> str | None:
    row = conn.execute(select(dossier_statuses.c.fingerprint).where(dossier_statuses.c.code == code)
                       .order_by(dossier_statuses.c.id.desc()).limit(1)).first()
    return str(row[0]) if row else None


def record_baseline(engine: Engine, *, code: str, status: str, fingerprint: str, now: float | None = None) -> bool:
    """What a polled dossier says when its first follower starts: the polls then tell only a
    change from it (not the status the citizen was just shown). Nothing is recorded when the
    code already has a status; True if this call recorded it."""
    now = time.time() if now is None else now
    try:
        with engine.begin() as conn:
            if _last_fingerprint(conn, code) is not None:
                return False
            conn.execute(dossier_statuses.insert().values(
                code=code, event_key=f"baseline:{code}:{now:.6f}"[:160], status=status, fingerprint=fingerprint,
                received_at=now, notified=0))
    except IntegrityError:  # another replica recorded it at the same moment
        return False
    return True


def last_message_at(conn: Connection, channel: str, sender: str) -> float | None:
    """When the platform last delivered a message from this user (the channels' inbox)."""
    value = conn.execute(select(func.max(inbox.c.received_at)).where(
        inbox.c.channel == channel, inbox.c.sender == sender)).scalar()
    return float(value) if value is not None else None


def zalo_transaction(text: str, title: str) -> dict[str, Any]:
    """A Zalo OA transaction message (``/v3.0/oa/message/transaction``) with the update."""
    return {"_endpoint": "transaction", "attachment": {"type": "template", "payload": {
        "template_type": "transaction_event", "language": "VI",
        "elements": [{"type": "header", "content": title[:100], "align": "left"},
                     {"type": "text", "content": text[:2000], "align": "left"}]}}}


def apply_change(engine: Engine, *, code: str, event_key: str, status: str, fingerprint: str, final: bool,
                 text: str, zalo: ZaloWindow | None = None, now: float | None = None) -> ChangeOutcome:
    """Record one status change of ``code`` and queue ``text`` to each of its followers.

    An ``event_key`` seen before changes nothing (a retried webhook); a change that tells the
    followers nothing new (the same ``fingerprint`` as last time) is recorded and sends
    nothing. Everything happens in one transaction: the change is recorded if and only if
    its messages are queued."""
    now = time.time() if now is None else now
    zalo = zalo or ZaloWindow()
    table = dossier_subscriptions
    try:
        with engine.begin() as conn:
            previous = _last_fingerprint(conn, code)
            inserted = conn.execute(dossier_statuses.insert().values(
                code=code, event_key=event_key[:160], status=status, fingerprint=fingerprint, received_at=now,
                notified=0))
            if previous == fingerprint:
                return ChangeOutcome(duplicate=False)
            followers = conn.execute(select(table.c.id, table.c.channel, table.c.recipient)
                                     .where(_active(code)).order_by(table.c.id)).fetchall()
            queued = refused = 0
            for follower in followers:
                rows = _messages_for(conn, follower.channel, follower.recipient, text, zalo, now)
                for message, status_, error in rows:
                    conn.execute(outbox.insert().values(
                        channel=follower.channel, recipient=follower.recipient, message=message, origin=ORIGIN,
                        status=status_, attempts=0, next_attempt_at=now, created_at=now, last_error=error))
                    queued += status_ == "pending"
                    refused += status_ == "undeliverable"
            ended = 0
            if final:
                ended = int(conn.execute(table.update().where(_active(code))
                                         .values(ended_at=now, ended_reason=status)).rowcount or 0)
                _forget_unfollowed(conn)
            conn.execute(dossier_statuses.update()
                         .where(dossier_statuses.c.id == inserted.inserted_primary_key[0])  # type: ignore[index]
                         .values(notified=queued))
    except IntegrityError:
        return ChangeOutcome(duplicate=True)
    return ChangeOutcome(duplicate=False, queued=queued, refused=refused, ended=ended)


def _messages_for(conn: Connection, channel: str, recipient: str, text: str, zalo: ZaloWindow,
                  now: float) -> list[tuple[dict[str, Any], str, str | None]]:
    """(platform message, outbox status, reason) for one follower."""
    if channel == "zalo":
        last = last_message_at(conn, "zalo", recipient)
        if last is None or now - last > zalo.seconds:
            if zalo.outside == "transaction":
                return [(zalo_transaction(text, zalo.title), "pending", None)]
            reason = (f"outside Zalo's window for consultation messages ({zalo.seconds / 86400:g} days after the "
                      "citizen's last message) and ZALO_OUTSIDE_WINDOW=none: not sent")
            return [({"text": text}, "undeliverable", reason)]
    rendered, _ = renderer_for(channel).render({"text": text})
    return [(message, "pending", None) for message in rendered]


# --- polling (one-stop systems without a webhook) -----------------------------------------
def claim_due_watches(engine: Engine, *, interval: float, limit: int = 50, now: float | None = None) -> list[str]:
    """Codes due for a poll, each claimed by this caller alone until ``interval`` from now
    (whichever replica claims a code polls it; the others skip it)."""
    now = time.time() if now is None else now
    table = dossier_watches
    with engine.connect() as conn:
        due = [str(r[0]) for r in conn.execute(select(table.c.code).where(table.c.next_check_at <= now)
                                              .order_by(table.c.next_check_at).limit(limit)).fetchall()]
    claimed = []
    for code in due:
        with engine.begin() as conn:
            result = conn.execute(table.update().where(table.c.code == code, table.c.next_check_at <= now)
                                  .values(next_check_at=now + interval))
        if result.rowcount == 1:
            claimed.append(code)
    return claimed


# --- figures for the console --------------------------------------------------------------
def subscriptions_since(engine: Engine, since: float) -> list[float]:
    """When each following that started after ``since`` started."""
    with engine.connect() as conn:
        return [float(r[0]) for r in conn.execute(select(dossier_subscriptions.c.created_at).where(
            dossier_subscriptions.c.created_at >= since)).fetchall()]


# --- the audit log ------------------------------------------------------------------------
def audit_dossier(engine: Engine, *, action: str, code: str | None, channel: str, outcome: str) -> None:
    """One line of the audit log for a lookup or a follow: the code masked, never the proof."""
    detail = json.dumps({"channel": channel, "outcome": outcome}, ensure_ascii=False)
    with engine.begin() as conn:
        conn.execute(AuditLog.__table__.insert().values(
            at=dt.datetime.now(dt.timezone.utc), actor="bot", action=action,
            target=mask_code(code) if code else "", detail=detail))


def audited_since(engine: Engine, action: str, since: dt.datetime) -> list[dt.datetime]:
    """When each audited ``action`` (e.g. ``dossier.lookup``) happened since ``since``."""
    with engine.connect() as conn:
        rows = conn.execute(select(AuditLog.__table__.c.at).where(
            AuditLog.__table__.c.action == action, AuditLog.__table__.c.at >= since)).fetchall()
    return [as_utc(r[0]) for r in rows]


@dataclass(frozen=True)
class SentUpdate:
    at: float
    text: str
    status: str  # the outbox's: pending / sent / undeliverable
    reason: str | None


def updates_to(engine: Engine, *, channel: str, recipient: str, limit: int = 200) -> list[SentUpdate]:
    """The dossier messages sent (or refused) to one conversation, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(outbox).where(outbox.c.channel == channel, outbox.c.recipient == recipient,
                                                 outbox.c.origin == ORIGIN).order_by(outbox.c.id).limit(limit)).fetchall()
    updates = []
    for row in rows:
        message = _loads(row.message)
        text = message.get("text")
        if text is None:  # a Zalo transaction message: its text element
            elements = ((message.get("attachment") or {}).get("payload") or {}).get("elements") or []
            text = " ".join(str(e.get("content", "")) for e in elements if isinstance(e, dict))
        updates.append(SentUpdate(float(row.created_at), str(text), str(row.status), row.last_error))
    return updates
