"""Queries behind the public Open311 API: complaints as service requests, filtered.

Only what the caller asks for is read; which categories and statuses are public is decided
by the caller (the app), which passes them in.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from storage.complaints import CITIZEN_FACING_STATUSES
from storage.models import Complaint, Contact, Event, RuleVersion


@dataclass(frozen=True)
class RequestFilter:
    """Which complaints a GET asks for. `codes` (when given) overrides the date window."""

    categories: Collection[str]
    statuses: Collection[str]
    codes: Collection[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 1000


@dataclass(frozen=True)
class RequestRow:
    """A complaint with what the public view needs besides it (never shown as such)."""

    complaint: Complaint
    citizen_name: str | None  # only to scrub it from the text
    note: str | None  # the newest note staff wrote for the citizen


def service_requests(session: Session, wanted: RequestFilter) -> list[RequestRow]:
    """The complaints `wanted` names, newest first, at most `wanted.limit`."""
    nothing_asked = wanted.codes is not None and not wanted.codes
    if not wanted.categories or not wanted.statuses or nothing_asked:
        return []
    query = (
        select(Complaint, col(Contact.display_name))
        .join(Contact, col(Contact.id) == col(Complaint.contact_id))
        .where(col(Complaint.category).in_(list(wanted.categories)))
        .where(col(Complaint.status).in_(list(wanted.statuses)))
    )
    if wanted.codes is not None:
        query = query.where(col(Complaint.code).in_(list(wanted.codes)))
    else:
        if wanted.start is not None:
            query = query.where(col(Complaint.created_at) >= wanted.start)
        if wanted.end is not None:
            query = query.where(col(Complaint.created_at) <= wanted.end)
    query = query.order_by(col(Complaint.created_at).desc(), col(Complaint.id).desc()).limit(
        wanted.limit
    )
    found = session.exec(query).all()
    notes = latest_notes(session, [complaint.id for complaint, _ in found if complaint.id])
    return [RequestRow(complaint, name, notes.get(complaint.id or 0)) for complaint, name in found]


def latest_notes(session: Session, complaint_ids: Sequence[int]) -> dict[int, str]:
    """Per complaint, the newest note for the citizen (as `latest_note`), in one query."""
    if not complaint_ids:
        return {}
    for_citizen = or_(
        col(Event.kind) == "staff_message",
        and_(col(Event.kind) == "status", col(Event.to_status).in_(CITIZEN_FACING_STATUSES)),
    )
    rows = session.exec(
        select(col(Event.complaint_id), col(Event.note))
        .where(col(Event.complaint_id).in_(list(complaint_ids)))
        .where(for_citizen)
        .where(col(Event.note).is_not(None))
        .order_by(col(Event.created_at), col(Event.id))
    ).all()
    return {
        complaint_id: note
        for complaint_id, note in rows
        if complaint_id is not None and note is not None
    }


def rules_changed_at(session: Session) -> datetime | None:
    """When the routing rules (so the list of services) last changed."""
    return session.exec(
        select(col(RuleVersion.created_at)).order_by(col(RuleVersion.id).desc()).limit(1)
    ).first()
