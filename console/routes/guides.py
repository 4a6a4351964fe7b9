"""Guides: the list, and a guide edited with the schema's validation (then the index rebuilt)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console import curation
from console.deps import Console, ConsoleDep, CurrentUser, attached, check_csrf
from console.index_rebuild import rebuild_index_in_background
from guides.schema import Guide
from tthc_data.engine import session_scope
from tthc_data.tables import StaffUser

router = APIRouter()
NULLABLE_TEXT = ("online_url", "summary")  # an emptied field is removed, not kept as ""


def _editor(request: Request, console: Console, user: StaffUser, guide: Guide, *, status_code: int = 200,
            error: str | None = None, saved: str | None = None) -> Response:
    return console.page(request, "guide_edit.html", user, status_code=status_code, guide=guide, error=error,
                        saved=saved, text_fields=curation.EDITABLE_TEXT, list_fields=curation.EDITABLE_LISTS,
                        review=console.catalog.review(guide))


@router.get("/guides", response_class=HTMLResponse)
def guides(request: Request, console: ConsoleDep, user: CurrentUser) -> Response:
    guides = console.library.guides
    reviews = {g.id: console.catalog.review(g) for g in guides}
    return console.page(request, "guides.html", user, guides=guides, reviews=reviews,
                        stale=sum(1 for r in reviews.values() if r.stale), catalog=console.catalog.catalog is not None,
                        problems=console.library.problems, today=dt.date.today())


@router.get("/guides/{code}", response_class=HTMLResponse)
def guide_page(request: Request, code: str, console: ConsoleDep, user: CurrentUser) -> Response:
    found = console.library.find(code)
    if found is None:
        raise HTTPException(404, "Không có hướng dẫn này.")
    return _editor(request, console, user, found[0], saved=request.query_params.get("saved"))


@router.post("/guides/{code}")
def guide_save(
    request: Request, code: str, console: ConsoleDep, user: CurrentUser, csrf: str = Form(""),
    title: str | None = Form(None), summary: str | None = Form(None), agency: str | None = Form(None),
    who: str | None = Form(None), result: str | None = Form(None), online_url: str | None = Form(None),
    aliases: str | None = Form(None), conditions: str | None = Form(None), steps: str | None = Form(None),
    sample_questions: str | None = Form(None), status: str | None = Form(None),
) -> Response:
    check_csrf(request, csrf)
    found = console.library.find(code)
    if found is None:
        raise HTTPException(404, "Không có hướng dẫn này.")
    guide, path = found
    texts = {"title": title, "summary": summary, "agency": agency, "who": who, "result": result,
             "online_url": online_url}
    lists = {"aliases": aliases, "conditions": conditions, "steps": steps, "sample_questions": sample_questions}
    changes: dict[str, Any] = {}
    for name, value in texts.items():  # a field the form does not carry stays as it is
        if value is not None:
            changes[name] = value.strip() or (None if name in NULLABLE_TEXT else "")
    for name, value in lists.items():
        if value is not None:
            changes[name] = [line.strip() for line in value.splitlines() if line.strip()]
    if status in ("draft", "published"):
        changes["status"] = status
    with session_scope(console.engine) as session:
        try:
            # saving is a review: the record's fingerprints as they are now go into the guide
            curation.edit_guide(path, changes, attached(session, user), session,
                                fingerprint=console.catalog.fingerprint(guide.code))
        except curation.CurationError as error:
            return _editor(request, console, user, guide, status_code=400, error=str(error))
    console.library.reload()
    rebuild_index_in_background(console.settings)
    return RedirectResponse(f"/console/guides/{quote(code)}?saved=1", status_code=303)
