"""Handoff tickets: the open list, one ticket with its conversation, a clerk's reply, closing."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console import handoff
from console.deps import ConsoleDep, CurrentUser, RowId, attached, check_csrf
from console.events import load_conversations
from tthc_data.engine import session_scope
from tthc_data.tables import HandoffTicket

router = APIRouter()


@router.get("/handoffs", response_class=HTMLResponse)
def handoffs(request: Request, console: ConsoleDep, user: CurrentUser) -> Response:
    with session_scope(console.engine) as session:
        tickets = handoff.open_tickets(session)
    return console.page(request, "handoffs.html", user, tickets=tickets)


@router.get("/handoffs/{ticket_id}", response_class=HTMLResponse)
def ticket_page(request: Request, ticket_id: RowId, console: ConsoleDep, user: CurrentUser) -> Response:
    with session_scope(console.engine) as session:
        ticket = session.get(HandoffTicket, ticket_id)
        if ticket is None:
            raise HTTPException(404, "Không có yêu cầu này.")
        replies = handoff.replies_of(session, ticket_id)
    conversation = load_conversations(console.engine, sender_id=ticket.sender_id).get(ticket.sender_id)
    return console.page(request, "ticket.html", user, ticket=ticket, replies=replies, conversation=conversation,
                        replyable=ticket.channel in handoff.REPLYABLE, error=request.query_params.get("error"))


@router.post("/handoffs/{ticket_id}/reply")
def ticket_reply(request: Request, ticket_id: RowId, console: ConsoleDep, user: CurrentUser,
                 text: str = Form(""), close: str = Form(""), csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    with session_scope(console.engine) as session:
        ticket = session.get(HandoffTicket, ticket_id)
        if ticket is None:
            raise HTTPException(404, "Không có yêu cầu này.")
        try:
            handoff.reply(session, console.engine, ticket, attached(session, user), text, close=bool(close))
        except handoff.HandoffError as error:
            return RedirectResponse(f"/console/handoffs/{ticket_id}?error={quote(str(error))}", status_code=303)
    return RedirectResponse(f"/console/handoffs/{ticket_id}?sent=1", status_code=303)


@router.post("/handoffs/{ticket_id}/close")
def ticket_close(request: Request, ticket_id: RowId, console: ConsoleDep, user: CurrentUser,
                 csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    with session_scope(console.engine) as session:
        ticket = session.get(HandoffTicket, ticket_id)
        if ticket is None:
            raise HTTPException(404, "Không có yêu cầu này.")
        handoff.close_ticket(session, ticket, attached(session, user))
    return RedirectResponse("/console/handoffs", status_code=303)
