"""Figures for the dashboard and masked exports of conversations (CSV, JSON)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.events import Conversation
from tthc_data import dossiers
from tthc_data.tables import Feedback, HandoffTicket, as_utc
from tthc_text.privacy import mask_personal_data


@dataclass
class Dashboard:
    days: list[str]
    messages_by_channel: dict[str, list[int]]  # channel -> messages per day
    top_procedures: list[tuple[str, int]]
    fallback_rate: list[float]  # per day, share of user messages the bot did not understand
    handoffs: list[int]  # tickets opened per day
    helpful: list[int]  # feedback per day
    not_helpful: list[int]
    totals: dict[str, Any] = field(default_factory=dict)
    dossier_lookups: list[int] = field(default_factory=list)  # lookups (proofs checked or refused) per day
    dossier_follows: list[int] = field(default_factory=list)  # followings started per day


def dashboard(conversations: dict[str, Conversation], session: Session, since: dt.date, until: dt.date) -> Dashboard:
    days = [since + dt.timedelta(days=i) for i in range((until - since).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    by_channel: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    fallbacks, users = [0] * len(days), [0] * len(days)
    procedures: Counter[str] = Counter()
    conversations = {k: c for k, c in conversations.items() if not c.is_evaluation}
    for conversation in conversations.values():
        for turn in conversation.user_turns:
            day = turn.at.date()
            if day not in index:
                continue
            by_channel[conversation.channel or "?"][index[day]] += 1
            users[index[day]] += 1
            fallbacks[index[day]] += int(turn.fallback)
            if turn.procedure_code:
                procedures[turn.procedure_code] += 1

    def per_day(moments: Iterable[dt.datetime]) -> list[int]:
        counts = [0] * len(days)
        for at in moments:
            if _day(at) in index:
                counts[index[_day(at)]] += 1
        return counts

    start = dt.datetime.combine(since, dt.time.min, tzinfo=dt.timezone.utc)
    handoffs = per_day(t.created_at for t in session.scalars(
        select(HandoffTicket).where(HandoffTicket.created_at >= start)))
    feedback = list(session.scalars(select(Feedback).where(Feedback.created_at >= start)))
    helpful = per_day(f.created_at for f in feedback if f.helpful)
    not_helpful = per_day(f.created_at for f in feedback if not f.helpful)
    engine = session.get_bind()
    lookups = per_day(dossiers.audited_since(engine, "dossier.lookup", start))  # type: ignore[arg-type]
    follows = per_day(dt.datetime.fromtimestamp(at, dt.timezone.utc)
                      for at in dossiers.subscriptions_since(engine, start.timestamp()))  # type: ignore[arg-type]
    total_users = sum(users)
    return Dashboard(
        days=[d.isoformat() for d in days],
        messages_by_channel=dict(by_channel),
        top_procedures=procedures.most_common(10),
        fallback_rate=[round(f / u, 3) if u else 0.0 for f, u in zip(fallbacks, users)],
        handoffs=handoffs, helpful=helpful, not_helpful=not_helpful,
        dossier_lookups=lookups, dossier_follows=follows,
        totals={"messages": total_users, "conversations": sum(1 for c in conversations.values() if c.user_turns),
                "fallback_rate": round(sum(fallbacks) / total_users, 3) if total_users else 0.0,
                "handoffs": sum(handoffs), "helpful": sum(helpful), "not_helpful": sum(not_helpful),
                "dossier_lookups": sum(lookups), "dossier_follows": sum(follows)},
    )


def _day(value: dt.datetime) -> dt.date:
    return as_utc(value).astimezone(dt.timezone.utc).date()


EXPORT_FIELDS = ("sender_id", "channel", "at", "who", "text", "intent", "confidence", "procedure_code")


def export_rows(conversations: dict[str, Conversation]) -> list[dict[str, Any]]:
    """One row per message, personal data masked."""
    rows = []
    for conversation in conversations.values():
        for turn in conversation.turns:
            rows.append({"sender_id": conversation.sender_id, "channel": conversation.channel,
                         "at": turn.at.isoformat(), "who": turn.who, "text": mask_personal_data(turn.text),
                         "intent": turn.intent or "", "confidence": turn.confidence,
                         "procedure_code": turn.procedure_code or ""})
    return rows


# A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """A value as a spreadsheet shows it as text: a leading quote before a formula start."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_csv(conversations: dict[str, Conversation]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(EXPORT_FIELDS))
    writer.writeheader()
    for row in export_rows(conversations):
        writer.writerow({k: spreadsheet_cell(v) for k, v in row.items()})
    return "\ufeff" + out.getvalue()  # BOM: Excel opens Vietnamese text correctly


def export_json(conversations: dict[str, Conversation]) -> str:
    return json.dumps(export_rows(conversations), ensure_ascii=False, indent=1)
