"""The query behind the OPD scorecard: the times of every complaint a period concerns."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from storage.models import OPEN_STATUSES, Complaint


class ScoreRow(NamedTuple):
    opd: str
    status: str
    created_at: datetime
    due_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    rating: int | None
    kecamatan: str | None


def score_rows(session: Session, since: datetime | None, until: datetime) -> list[ScoreRow]:
    """Original complaints filed, first answered or resolved in [since, until), or open now."""

    def in_period(column: Any) -> Any:
        return and_(column >= since, column < until) if since else column < until

    query = (
        # sqlmodel types select() for at most four columns; the rows are ScoreRows below.
        select(  # type: ignore[call-overload]
            col(Complaint.opd),
            col(Complaint.status),
            col(Complaint.created_at),
            col(Complaint.due_at),
            col(Complaint.first_response_at),
            col(Complaint.resolved_at),
            col(Complaint.rating),
            col(Complaint.kecamatan),
        )
        .where(col(Complaint.duplicate_of_id).is_(None))
        .where(
            or_(
                in_period(Complaint.created_at),
                in_period(Complaint.first_response_at),
                in_period(Complaint.resolved_at),
                col(Complaint.status).in_([s.value for s in OPEN_STATUSES]),
            )
        )
    )
    return [ScoreRow(*row) for row in session.exec(query)]
