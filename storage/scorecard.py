"""The queries behind the OPD scorecard: the times of every complaint a period concerns, or
the same figures added up by the database (the public rapor: it must not read every row)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, NamedTuple

from sqlalchemy import and_, case, func, or_
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
        ).where(_concerned(since, until, None))
    )
    return [ScoreRow(*row) for row in session.exec(query)]


Measure = Literal["first_response", "resolution"]
Grouping = Literal["opd", "kecamatan"]


class GroupCounts(NamedTuple):
    """The scorecard's counts for one group (an OPD, or a kecamatan: None where the complaints
    named none), as the database adds them up."""

    group: str | None
    received: int
    resolved: int
    resolved_on_time: int
    due_unresolved: int
    open_now: int
    overdue_now: int
    ratings: int
    rating_sum: int


class Middle(NamedTuple):
    """One of the (one or two) middle complaints of a group, by time taken (for a median)."""

    group: str | None
    overall: bool  # of all groups together (then `group` is None)
    start: datetime
    end: datetime


def _grouped_by(by: Grouping) -> Any:
    return col(Complaint.kecamatan) if by == "kecamatan" else col(Complaint.opd)


def _inside(column: Any, since: datetime | None, until: datetime) -> Any:
    return and_(column >= since, column < until) if since else column < until


def _concerned(since: datetime | None, until: datetime, categories: list[str] | None) -> Any:
    """What `score_rows` reads: originals filed, answered or resolved in the period, or open."""
    condition = and_(
        col(Complaint.duplicate_of_id).is_(None),
        or_(
            _inside(Complaint.created_at, since, until),
            _inside(Complaint.first_response_at, since, until),
            _inside(Complaint.resolved_at, since, until),
            col(Complaint.status).in_([s.value for s in OPEN_STATUSES]),
        ),
    )
    if categories is not None:
        condition = and_(condition, col(Complaint.category).in_(categories))
    return condition


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def group_counts(
    session: Session,
    since: datetime | None,
    until: datetime,
    now: datetime,
    categories: list[str] | None = None,
    by: Grouping = "opd",
) -> list[GroupCounts]:
    """Per OPD (or kecamatan), the scorecard's counts over [since, until), added up in the
    database (the definitions of `dispatch.scorecard`); only `categories` when given."""
    resolved = and_(
        col(Complaint.resolved_at).is_not(None), _inside(Complaint.resolved_at, since, until)
    )
    on_time = and_(
        resolved,
        or_(col(Complaint.due_at).is_(None), col(Complaint.resolved_at) <= col(Complaint.due_at)),
    )
    open_now = col(Complaint.status).in_([s.value for s in OPEN_STATUSES])
    overdue = and_(open_now, col(Complaint.due_at).is_not(None), col(Complaint.due_at) <= now)
    rated = and_(resolved, col(Complaint.rating).is_not(None))
    group = _grouped_by(by)
    query = (
        select(  # type: ignore[call-overload]
            group,
            _count(_inside(Complaint.created_at, since, until)),
            _count(resolved),
            _count(on_time),
            _count(and_(overdue, _inside(Complaint.due_at, since, until))),
            _count(open_now),
            _count(overdue),
            _count(rated),
            func.coalesce(func.sum(case((rated, col(Complaint.rating)), else_=0)), 0),
        )
        .where(_concerned(since, until, categories))
        .group_by(group)
    )
    return [GroupCounts(*(row[0], *map(int, row[1:]))) for row in session.exec(query)]


def _elapsed(session: Session, start: Any, end: Any) -> Any:
    """`end - start` as something the database can order by."""
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return end - start


def middles(
    session: Session,
    since: datetime | None,
    until: datetime,
    measure: Measure,
    categories: list[str] | None = None,
    by: Grouping = "opd",
) -> list[Middle]:
    """The middle complaint(s) by time from filing to the first response (or resolution) in
    the period, per OPD (or kecamatan) and of all together: the one or two values of each
    median. The database reads only the time taken (no timestamps to convert), the middle
    ones are then read back exactly."""
    start = col(Complaint.created_at)
    end = col(Complaint.first_response_at if measure == "first_response" else Complaint.resolved_at)
    taken = (
        select(_grouped_by(by), _elapsed(session, start, end), col(Complaint.id))
        .where(col(Complaint.duplicate_of_id).is_(None))
        .where(end.is_not(None))
        .where(_inside(end, since, until))
    )
    if categories is not None:
        taken = taken.where(col(Complaint.category).in_(categories))
    everything: tuple[bool, str | None] = (True, None)
    groups: dict[tuple[bool, str | None], list[tuple[Any, int | None]]] = {everything: []}
    for group, elapsed, complaint_id in session.connection().execute(taken):
        groups.setdefault((False, group), []).append((elapsed, complaint_id))
        groups[everything].append((elapsed, complaint_id))
    wanted: dict[int | None, list[tuple[bool, str | None]]] = {}
    for group, values in groups.items():
        values.sort()
        for index in {(len(values) - 1) // 2, len(values) // 2} if values else ():
            wanted.setdefault(values[index][1], []).append(group)
    exact = select(col(Complaint.id), start, end).where(col(Complaint.id).in_(list(wanted)))
    found: list[Middle] = []
    for complaint_id, began, ended in session.exec(exact):
        assert ended is not None  # as selected
        found.extend(
            Middle(group, overall, began, ended) for overall, group in wanted[complaint_id]
        )
    return found
