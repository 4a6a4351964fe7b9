"""Curation: annotations of misread messages reviewed, and exported as training and eval data."""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console import curation
from console.deps import ConsoleDep, CurrentUser, RowId, attached, check_csrf
from tthc_data.engine import session_scope
from tthc_data.tables import Annotation

router = APIRouter()


@router.get("/curation", response_class=HTMLResponse)
def curation_page(request: Request, console: ConsoleDep, user: CurrentUser) -> Response:
    with session_scope(console.engine) as session:
        pending = curation.annotations_by_status(session, "pending")
        approved = curation.annotations_by_status(session, "approved")
    return console.page(request, "curation.html", user, pending=pending, approved=approved)


@router.post("/curation/{annotation_id}")
def curation_review(request: Request, annotation_id: RowId, console: ConsoleDep, user: CurrentUser,
                    decision: str = Form(...), csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    with session_scope(console.engine) as session:
        annotation = session.get(Annotation, annotation_id)
        if annotation is None:
            raise HTTPException(404, "Không có mục này.")
        curation.review(session, attached(session, user), annotation, approve=decision == "approve")
    return RedirectResponse("/console/curation", status_code=303)


def _download(text: str, filename: str) -> Response:
    return Response(text, media_type="text/yaml; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/curation/nlu.yml")
def curation_nlu(console: ConsoleDep, user: CurrentUser) -> Response:
    with session_scope(console.engine) as session:
        return _download(curation.nlu_yaml(curation.annotations_by_status(session, "approved")), "nlu_from_console.yml")


@router.get("/curation/eval.yml")
def curation_eval(console: ConsoleDep, user: CurrentUser) -> Response:
    with session_scope(console.engine) as session:
        return _download(curation.eval_yaml(curation.annotations_by_status(session, "approved")), "eval_from_console.yml")
