"""Curation: misunderstood messages marked with the right intent and procedure, reviewed,
and exported as Rasa NLU training data and as retrieval evaluation items; guide edits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.users import audit
from guides.aspects import ASPECT_OF_INTENT, domain_intents
from guides.schema import Guide
from tthc_data.tables import Annotation, StaffUser
from tthc_text.privacy import mask_personal_data


class CurationError(ValueError):
    pass


def annotate(session: Session, staff: StaffUser, *, sender_id: str, text: str, predicted_intent: str,
             intent: str, procedure_code: str | None) -> Annotation:
    if intent not in domain_intents():
        raise CurationError(f"unknown intent {intent!r}")
    text = mask_personal_data(text.strip())  # training data keeps no personal data
    if not text:
        raise CurationError("the message is empty")
    annotation = Annotation(sender_id=sender_id, text=text, predicted_intent=predicted_intent or "",
                            intent=intent, procedure_code=(procedure_code or None), status="pending",
                            created_by=staff.id)
    session.add(annotation)
    session.flush()
    audit(session, staff.username, "annotation.create", f"annotation#{annotation.id}",
          {"intent": intent, "procedure_code": procedure_code})
    return annotation


def review(session: Session, staff: StaffUser, annotation: Annotation, approve: bool) -> None:
    annotation.status = "approved" if approve else "rejected"
    audit(session, staff.username, f"annotation.{annotation.status}", f"annotation#{annotation.id}")


def annotations_by_status(session: Session, status: str | None = None) -> list[Annotation]:
    query = select(Annotation).order_by(Annotation.created_at)
    if status:
        query = query.where(Annotation.status == status)
    return list(session.scalars(query))


def nlu_yaml(items: list[Annotation]) -> str:
    """Approved annotations as Rasa NLU training data (``nlu_data/`` format)."""
    by_intent: dict[str, list[str]] = {}
    for item in items:
        by_intent.setdefault(item.intent, []).append(item.text)
    lines = ['version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"  - intent: {intent}", "    examples: |"]
        lines += [f"      - {' '.join(text.split())}" for text in by_intent[intent]]
    return "\n".join(lines) + "\n"


def eval_yaml(items: list[Annotation]) -> str:
    """Approved annotations about a procedure as retrieval evaluation items (``eval.yml`` format)."""
    rows: list[dict[str, Any]] = []
    for item in items:
        if item.intent in ASPECT_OF_INTENT or item.intent == "out_of_scope":
            rows.append({"q": item.text, "codes": [item.procedure_code] if item.procedure_code else [],
                         "aspect": ASPECT_OF_INTENT.get(item.intent, "general"), "style": "from_console"})
    return yaml.safe_dump(rows, allow_unicode=True, sort_keys=False)


# --- guides --------------------------------------------------------------------------------
EDITABLE_TEXT = ("title", "summary", "agency", "who", "result", "online_url")
EDITABLE_LISTS = ("aliases", "conditions", "steps", "sample_questions")


def edit_guide(path: Path, changes: dict[str, Any], staff: StaffUser, session: Session,
               today: dt.date | None = None, fingerprint: dict[str, str] | None = None) -> Guide:
    """Apply field changes to a guide file with the schema's validation; sets last_reviewed
    and, when given, the catalog record's fingerprints (``catalog_fingerprint``).

    Raises ``CurationError`` naming the field and the problem; the file is unchanged then.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    before = dict(data)
    for name, value in changes.items():
        data[name] = value
    data["last_reviewed"] = (today or dt.date.today()).isoformat()
    if fingerprint:
        data["catalog_fingerprint"] = dict(fingerprint)
    try:
        guide = Guide.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        raise CurationError(problems) from error
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")
    changed = sorted(k for k in changes if before.get(k) != data.get(k))
    audit(session, staff.username, "guide.edit", guide.code, {"fields": changed, "file": path.name})
    return guide
