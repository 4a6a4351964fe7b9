"""Conversations: the filtered list, a transcript, annotations of misread messages, exports."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from console import curation, handoff, reports
from console.deps import (
    CHANNELS,
    MAX_SENDER,
    AdminUser,
    Console,
    ConsoleDep,
    CurrentUser,
    attached,
    check_csrf,
    conversation_url,
    parse_date,
)
from console.events import LOW_CONFIDENCE, Conversation, load_conversations
from guides.aspects import domain_intents
from tthc_data import dossiers
from tthc_data.engine import session_scope
from tthc_data.tables import Feedback, HandoffTicket, StaffUser
from tthc_text.conversation_keys import platform_id

router = APIRouter()


def filtered(console: Console, q: dict[str, str]) -> list[Conversation]:
    """The conversations the list's filters select, newest first."""
    since = parse_date(q.get("since"))
    until = parse_date(q.get("until"))
    conversations = load_conversations(
        console.engine,
        since=dt.datetime.combine(since, dt.time.min, tzinfo=dt.timezone.utc) if since else None,
        until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=dt.timezone.utc)
        if until else None,
    )
    with session_scope(console.engine) as session:
        negative = {f.sender_id for f in session.scalars(select(Feedback).where(Feedback.helpful.is_(False)))}
        handed = {t.sender_id for t in session.scalars(select(HandoffTicket))}
    text = (q.get("q") or "").strip().casefold()
    result = []
    for c in conversations.values():
        if not c.user_turns:
            continue
        if q.get("channel") and c.channel != q["channel"]:
            continue
        if q.get("procedure") and q["procedure"] not in c.procedures:
            continue
        if q.get("intent") and q["intent"] not in c.intents:
            continue
        if q.get("low") and not c.low_confidence:
            continue
        if q.get("negative") and c.sender_id not in negative:
            continue
        if q.get("handoff") and c.sender_id not in handed:
            continue
        if text and not any(text in t.text.casefold() for t in c.turns):
            continue
        result.append(c)
    return sorted(result, key=lambda c: c.last_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc),
                  reverse=True)


@router.get("/conversations", response_class=HTMLResponse)
def conversations_page(request: Request, console: ConsoleDep, user: CurrentUser) -> Response:
    q = {k: v for k, v in request.query_params.items() if v}
    found = filtered(console, q)
    return console.page(request, "conversations.html", user, conversations=found[:200], total=len(found), q=q,
                        intents=domain_intents(), channels=CHANNELS, threshold=LOW_CONFIDENCE)


# A conversation is addressed by its sender id in the query (``/console/conversation?sender=…``):
# any id opens, even one with "/" or one that is ".." (which a path would lose to URL
# normalisation). The older path form still opens ids without those.
def transcript(request: Request, console: Console, sender_id: str, user: StaffUser) -> Response:
    conversation = load_conversations(console.engine, sender_id=sender_id).get(sender_id)
    if conversation is None:
        raise HTTPException(404, "Không có cuộc trò chuyện này.")
    with session_scope(console.engine) as session:
        tickets = list(session.scalars(select(HandoffTicket).where(HandoffTicket.sender_id == sender_id)))
        staff = [(r, t) for t in tickets for r in handoff.replies_of(session, t.id)]
    channel = conversation.channel or ""
    dossier_updates = dossiers.updates_to(console.engine, channel=channel, recipient=platform_id(channel, sender_id))
    return console.page(request, "transcript.html", user, conversation=conversation, tickets=tickets,
                        staff_replies=staff, dossier_updates=dossier_updates, intents=domain_intents(),
                        threshold=LOW_CONFIDENCE,
                        titles=console.library.titles())


@router.get("/conversation", response_class=HTMLResponse)
def transcript_page(request: Request, console: ConsoleDep, user: CurrentUser,
                    sender: str = Query(..., min_length=1, max_length=MAX_SENDER)) -> Response:
    return transcript(request, console, sender, user)


@router.get("/conversations/{sender_id}", response_class=HTMLResponse)
def transcript_by_path(request: Request, sender_id: str, console: ConsoleDep, user: CurrentUser) -> Response:
    return transcript(request, console, sender_id, user)


def annotate(request: Request, console: Console, sender_id: str, user: StaffUser, *, text: str, intent: str,
             predicted: str, procedure_code: str, csrf: str) -> Response:
    check_csrf(request, csrf)
    with session_scope(console.engine) as session:
        try:
            curation.annotate(session, attached(session, user), sender_id=sender_id, text=text,
                              predicted_intent=predicted, intent=intent, procedure_code=procedure_code.strip())
        except curation.CurationError as error:
            raise HTTPException(400, str(error)) from error
    return RedirectResponse(f"{conversation_url(sender_id)}&annotated=1", status_code=303)


@router.post("/conversation/annotate")
def annotate_form(request: Request, console: ConsoleDep, user: CurrentUser,
                  sender: str = Form(..., min_length=1, max_length=MAX_SENDER), text: str = Form(...),
                  intent: str = Form(...), predicted: str = Form(""), procedure_code: str = Form(""),
                  csrf: str = Form("")) -> Response:
    return annotate(request, console, sender, user, text=text, intent=intent, predicted=predicted,
                    procedure_code=procedure_code, csrf=csrf)


@router.post("/conversations/{sender_id}/annotate")
def annotate_by_path(request: Request, sender_id: str, console: ConsoleDep, user: CurrentUser,
                     text: str = Form(...), intent: str = Form(...), predicted: str = Form(""),
                     procedure_code: str = Form(""), csrf: str = Form("")) -> Response:
    return annotate(request, console, sender_id, user, text=text, intent=intent, predicted=predicted,
                    procedure_code=procedure_code, csrf=csrf)


@router.get("/export.{fmt}")
def export(request: Request, fmt: str, console: ConsoleDep, user: AdminUser) -> Response:
    """The conversations the filters select, one row per message, personal data masked."""
    writers = {"csv": (reports.export_csv, "text/csv"), "json": (reports.export_json, "application/json")}
    if fmt not in writers:
        raise HTTPException(404, "Định dạng xuất chỉ có csv hoặc json.")
    write, media_type = writers[fmt]
    found = {c.sender_id: c for c in filtered(console, dict(request.query_params))}
    console.audit(user, f"export.{fmt}", f"{len(found)} conversations")
    return Response(write(found), media_type=f"{media_type}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="hoi-thoai.{fmt}"'})
