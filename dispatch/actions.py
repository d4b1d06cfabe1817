"""What staff (or an OPD's system) can do to a complaint, whatever channel they use."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, func, select

from dispatch.context import DispatchContext
from dispatch.enqueue import message_to_contact
from dispatch.lifecycle import CITIZEN_VISIBLE, check_transition
from storage.models import Complaint, Contact, Event, Status


def _now() -> datetime:
    return datetime.now(UTC)


def _sequence(session: Session, complaint: Complaint) -> int:
    count = session.exec(select(func.count()).where(Event.complaint_id == complaint.id)).one()
    return int(count) + 1


def _mark_first_response(complaint: Complaint, now: datetime) -> None:
    if complaint.first_response_at is None:
        complaint.first_response_at = now


def change_status(
    session: Session,
    complaint: Complaint,
    target: str,
    actor: str,
    ctx: DispatchContext,
    note: str | None = None,
) -> Event:
    """Apply one lifecycle transition, record it, and tell the citizen if they should know.

    Raises TransitionError (nothing changed) when the transition is not allowed.
    """
    goal = check_transition(complaint.status, target, note)
    now = _now()
    event = Event(
        complaint_id=complaint.id,
        kind="status",
        actor=actor,
        from_status=complaint.status,
        to_status=goal.value,
        note=note,
        created_at=now,
    )
    session.add(event)
    complaint.status = goal.value
    complaint.updated_at = now
    if goal in (Status.in_progress, Status.resolved, Status.rejected):
        _mark_first_response(complaint, now)
    if goal == Status.resolved:
        complaint.resolved_at = now
    if goal == Status.reopened:
        complaint.resolved_at = None
    session.add(complaint)
    if goal in CITIZEN_VISIBLE:
        contact = session.get(Contact, complaint.contact_id)
        assert contact is not None
        language = contact.language
        note_text = ctx.text(language, "status_note", note=note) if note else ""
        text = ctx.text(
            language,
            "status_changed",
            code=complaint.code,
            status=ctx.status_name(language, goal.value),
            note=note_text,
            opd=ctx.opd_name(complaint.opd),
        )
        key = f"status:{complaint.code}:{_sequence(session, complaint)}"
        message_to_contact(session, contact, text, key, complaint)
    return event


def message_citizen(
    session: Session, complaint: Complaint, text: str, actor: str, ctx: DispatchContext
) -> Event:
    """Relay a staff member's message to the citizen on the citizen's channel."""
    if not text.strip():
        raise ValueError("the message to the citizen must not be empty")
    now = _now()
    event = Event(
        complaint_id=complaint.id, kind="staff_message", actor=actor, note=text, created_at=now
    )
    session.add(event)
    _mark_first_response(complaint, now)
    complaint.updated_at = now
    session.add(complaint)
    contact = session.get(Contact, complaint.contact_id)
    assert contact is not None
    rendered = ctx.text(
        contact.language,
        "staff_message",
        code=complaint.code,
        opd=ctx.opd_name(complaint.opd),
        text=text.strip(),
    )
    key = f"staff:{complaint.code}:{_sequence(session, complaint)}"
    message_to_contact(session, contact, rendered, key, complaint)
    return event
