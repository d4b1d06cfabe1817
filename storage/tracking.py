"""Queries behind the citizen's tracking page: a complaint's public timeline.

Only what a citizen may read leaves this module: never who acted (staff names, addresses),
never the classifier's or a reassignment's internal notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from storage.complaints import CITIZEN_FACING_STATUSES
from storage.models import Event, Status

# Events a citizen's timeline shows: status changes, and what staff wrote to the citizen.
TIMELINE_KINDS = ("status", "staff_message", "question")
NOTED_STATUSES = frozenset(s.value for s in CITIZEN_FACING_STATUSES)


@dataclass(frozen=True)
class TimelineStep:
    """One step as the citizen sees it: a new status, or a message from the OPD."""

    at: datetime
    kind: str  # "status" or "message"
    status: str | None  # the status reached (a status step)
    opd: str | None  # the OPD handling the complaint at this step
    note: str | None  # only text written for the citizen
    photos: list[dict[str, Any]] = field(default_factory=list)


def public_timeline(session: Session, complaint_id: int, opd_now: str) -> list[TimelineStep]:
    """The complaint's steps, oldest first; `opd_now` is the OPD handling it today."""
    rows = (
        session.connection()
        .execute(
            select(
                col(Event.kind),
                col(Event.to_status),
                col(Event.note),
                col(Event.data),
                col(Event.created_at),
            )
            .where(col(Event.complaint_id) == complaint_id)
            .where(col(Event.kind).in_(TIMELINE_KINDS))
            .order_by(col(Event.created_at), col(Event.id))
        )
        .all()
    )
    moves = [data for kind, status, _, data, _ in rows if status == Status.reassigned and data]
    opd = str(moves[0].get("from_opd", opd_now)) if moves else opd_now
    steps = []
    for kind, status, note, data, at in rows:
        data = data or {}
        if status == Status.reassigned:
            opd = str(data.get("to_opd", opd))
        photos = [a for a in data.get("attachments", []) if isinstance(a, dict)]
        if kind == "status":
            shown = note if status in NOTED_STATUSES else None
            steps.append(TimelineStep(at, "status", status, opd, shown, photos))
        else:
            steps.append(TimelineStep(at, "message", None, opd, note, photos))
    return steps
