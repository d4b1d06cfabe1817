"""Queries of the staff console: the inbox (filtered, counted, paged) and one complaint's page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_
from sqlmodel import Session, col, select

from storage.models import OPEN_STATUSES, Complaint, Contact, Event, Message

OPEN = [s.value for s in OPEN_STATUSES]
UNKNOWN_AREA = "-"  # as the scorecard by kecamatan names complaints that named none


@dataclass(frozen=True)
class InboxFilter:
    """Which complaints the inbox lists. `opd` None: every OPD's (an admin)."""

    opd: str | None = None
    status: str = "open"  # "open", "all" or one status
    code: str | None = None  # a tracking code, searched exactly
    text: str | None = None  # words searched in the text and the place
    category: str | None = None
    channel: str | None = None
    kecamatan: str | None = None  # a kecamatan's name, or UNKNOWN_AREA: those naming none
    since: datetime | None = None
    until: datetime | None = None


def _like(words: str) -> str:
    escaped = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _where(query: Any, wanted: InboxFilter, with_status: bool = True) -> Any:
    if wanted.opd is not None:
        query = query.where(Complaint.opd == wanted.opd)
    if with_status and wanted.status == "open":
        query = query.where(col(Complaint.status).in_(OPEN))
    elif with_status and wanted.status != "all":
        query = query.where(Complaint.status == wanted.status)
    if wanted.code:
        query = query.where(Complaint.code == wanted.code)
    if wanted.text:
        pattern = _like(wanted.text)
        query = query.where(
            or_(
                func.lower(Complaint.text).like(pattern, escape="\\"),
                func.lower(Complaint.location_address).like(pattern, escape="\\"),
            )
        )
    if wanted.category:
        query = query.where(Complaint.category == wanted.category)
    if wanted.channel:
        query = query.where(Complaint.channel == wanted.channel)
    if wanted.kecamatan == UNKNOWN_AREA:
        query = query.where(col(Complaint.kecamatan).is_(None))
    elif wanted.kecamatan:
        query = query.where(Complaint.kecamatan == wanted.kecamatan)
    if wanted.since:
        query = query.where(Complaint.created_at >= wanted.since)
    if wanted.until:
        query = query.where(Complaint.created_at < wanted.until)
    return query


def status_counts(session: Session, wanted: InboxFilter) -> dict[str, int]:
    """How many complaints of each status match the filter (its status aside)."""
    query = _where(
        select(Complaint.status, func.count()).select_from(Complaint), wanted, with_status=False
    )
    return {status: int(n) for status, n in session.exec(query.group_by(Complaint.status))}


def inbox_page(
    session: Session, wanted: InboxFilter, now: datetime, offset: int, limit: int
) -> tuple[Sequence[Complaint], int]:
    """One page of matching complaints, overdue first, then by due time; and how many match."""
    total = session.exec(_where(select(func.count()).select_from(Complaint), wanted)).one()
    is_open = col(Complaint.status).in_(OPEN)
    rank = case(
        (is_open & (col(Complaint.due_at) < now), 0),
        (is_open, 1),
        else_=2,
    )
    query = _where(select(Complaint), wanted).order_by(
        rank,
        case((is_open, Complaint.due_at)),
        col(Complaint.updated_at).desc(),
        col(Complaint.id).desc(),
    )
    return session.exec(query.offset(offset).limit(limit)).all(), int(total)


def complaint_contact(session: Session, complaint: Complaint) -> Contact | None:
    return session.get(Contact, complaint.contact_id)


def linked_complaints(session: Session, complaint: Complaint) -> Sequence[Complaint]:
    """The complaint's original (if it is a duplicate) and the duplicates linked to it."""
    ids = [complaint.duplicate_of_id] if complaint.duplicate_of_id else []
    query = select(Complaint).where(
        or_(col(Complaint.duplicate_of_id) == complaint.id, col(Complaint.id).in_(ids))
    )
    return session.exec(query.order_by(col(Complaint.id))).all()


def complaint_events(session: Session, complaint_id: int) -> Sequence[Event]:
    query = select(Event).where(Event.complaint_id == complaint_id)
    return session.exec(query.order_by(col(Event.created_at), col(Event.id))).all()


def complaint_messages(session: Session, complaint_id: int) -> Sequence[Message]:
    query = select(Message).where(Message.complaint_id == complaint_id)
    return session.exec(query.order_by(col(Message.created_at), col(Message.id))).all()


def located_complaints(
    session: Session, wanted: InboxFilter, limit: int
) -> Sequence[tuple[str, float, float, str, str]]:
    """Code, latitude, longitude, status and category of the matching located complaints,
    newest first, at most `limit`."""
    query = _where(
        select(  # type: ignore[call-overload]
            Complaint.code,
            Complaint.location_lat,
            Complaint.location_lon,
            Complaint.status,
            Complaint.category,
        ),
        wanted,
    ).where(col(Complaint.location_lat).is_not(None), col(Complaint.location_lon).is_not(None))
    return session.exec(query.order_by(col(Complaint.id).desc()).limit(limit)).all()
