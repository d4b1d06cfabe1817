"""Queries on events, a complaint's audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select

from storage.models import Complaint, Event, Status

STAFF_ACTORS = ("staff:", "opd:")  # staff in a chat, e-mail or the console; an OPD's system


def count_of_complaint(session: Session, complaint_id: int | None) -> int:
    """How many events the complaint has (their count numbers the next one's notices)."""
    count = session.exec(select(func.count()).where(col(Event.complaint_id) == complaint_id)).one()
    return int(count)


def events_of(session: Session, complaint_id: int) -> Sequence[Event]:
    """A complaint's history, oldest event first."""
    return session.exec(
        select(Event).where(Event.complaint_id == complaint_id).order_by(col(Event.id))
    ).all()


def staff_corrections(session: Session, since: datetime | None = None) -> list[tuple[Event, str]]:
    """Staff routing a complaint that waited for review, or moving it to another OPD, oldest
    first, each with the complaint's text (the citizen's own choices are not among them)."""
    query = (
        select(Event, Complaint.text)
        .join(Complaint, col(Complaint.id) == col(Event.complaint_id))
        .where(or_(*(col(Event.actor).startswith(prefix) for prefix in STAFF_ACTORS)))
        .where(
            or_(
                and_(
                    col(Event.from_status) == Status.needs_review,
                    col(Event.to_status) == Status.routed,
                ),
                col(Event.to_status) == Status.reassigned,
            )
        )
        .order_by(col(Event.id))
    )
    if since is not None:
        query = query.where(col(Event.created_at) >= since)
    return [(event, text) for event, text in session.exec(query)]


def resolved_complaints(
    session: Session, since: datetime | None = None, limit: int = 5000
) -> list[tuple[int, str, str]]:
    """The newest resolved complaints (no duplicates): id, text and category each."""
    query = (
        select(Complaint.id, Complaint.text, Complaint.category)
        .where(col(Complaint.status) == Status.resolved)
        .where(col(Complaint.duplicate_of_id).is_(None))
        .order_by(col(Complaint.id).desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(col(Complaint.created_at) >= since)
    return [(id_, text, category) for id_, text, category in session.exec(query) if id_]
