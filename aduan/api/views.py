"""How complaints look in JSON answers."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from dispatch.context import DispatchContext
from dispatch.enqueue import complaint_document
from storage.events import events_of
from storage.messages import outbound_of_complaint
from storage.models import Complaint, Contact


def complaint_public(
    session: Session, complaint: Complaint, ctx: DispatchContext, language: str | None = None
) -> dict[str, Any]:
    """What anyone holding the tracking code may see: status, agency, and replies to the citizen."""
    language = ctx.language(language or complaint.language)
    contact = session.get(Contact, complaint.contact_id)
    assert complaint.id is not None
    replies = outbound_of_complaint(session, complaint.id) if contact else []
    return {
        "code": complaint.code,
        "status": complaint.status,
        "status_label": ctx.status_name(language, complaint.status),
        "category": complaint.category,
        "category_label": ctx.category_name(language, complaint.category),
        "opd": complaint.opd,
        "opd_name": ctx.opd_name(complaint.opd),
        "created_at": complaint.created_at.isoformat(),
        "due_at": complaint.due_at.isoformat() if complaint.due_at else None,
        "resolved_at": complaint.resolved_at.isoformat() if complaint.resolved_at else None,
        "messages": [{"text": m.text, "at": m.created_at.isoformat()} for m in replies],
    }


def complaint_for_opd(
    session: Session, complaint: Complaint, ctx: DispatchContext
) -> dict[str, Any]:
    """What the handling OPD sees: the complaint and its history, not the citizen's address."""
    assert complaint.id is not None
    events = events_of(session, complaint.id)
    document = complaint_document(complaint, ctx, event="")
    del document["event"]
    return {
        **document,
        "history": [
            {
                "kind": e.kind,
                "actor": e.actor,
                "from": e.from_status,
                "to": e.to_status,
                "note": e.note,
                "at": e.created_at.isoformat(),
            }
            for e in events
        ],
    }
