"""Queries on events, a complaint's audit trail."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from storage.models import Event


def count_of_complaint(session: Session, complaint_id: int | None) -> int:
    """How many events the complaint has (their count numbers the next one's notices)."""
    count = session.exec(select(func.count()).where(col(Event.complaint_id) == complaint_id)).one()
    return int(count)


def events_of(session: Session, complaint_id: int) -> Sequence[Event]:
    """A complaint's history, oldest event first."""
    return session.exec(
        select(Event).where(Event.complaint_id == complaint_id).order_by(col(Event.id))
    ).all()
