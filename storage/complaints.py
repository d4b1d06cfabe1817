"""Queries on complaints and their events: codes, a citizen's complaints, same problems."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, insert, or_
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.models import OPEN_STATUSES, Complaint, Contact, Event, Status
from storage.types import UTCDateTime

OPEN = [s.value for s in OPEN_STATUSES]
MAX_CANDIDATES = 200  # bounds the fuzzy comparisons per new complaint under heavy load

# Hot-path statements, built once: on SQLite, building a select in Python costs more than
# running it. Values travel as bind parameters.
CODE_TAKEN = select(Complaint.id).where(Complaint.code == bindparam("code"))
INSERT_EVENTS = insert(Event.__table__)  # type: ignore[attr-defined]
AWAITING_ANSWER = (
    select(Complaint)
    .where(Complaint.contact_id == bindparam("contact_id"))
    .where(Complaint.awaiting_citizen)
    .where(col(Complaint.status).in_(OPEN))
    .order_by(col(Complaint.updated_at).desc())
)
SAME_PROBLEM_CANDIDATES = (
    core_select(
        col(Complaint.id),
        col(Complaint.contact_id),
        col(Complaint.text),
        col(Complaint.location_lat),
        col(Complaint.location_lon),
    )
    .where(col(Complaint.category) == bindparam("category"))
    .where(col(Complaint.status).in_(OPEN))
    .where(col(Complaint.duplicate_of_id).is_(None))
    .where(Complaint.created_at >= bindparam("since", type_=UTCDateTime))
    .order_by(col(Complaint.created_at).desc())
    .limit(MAX_CANDIDATES)
)
# The same newest candidates, less those placed outside a box around a point (the citizen's
# own always stay): the database drops the far ones before Python builds a row of each.
_newest = SAME_PROBLEM_CANDIDATES.add_columns(col(Complaint.created_at)).subquery()
SAME_PROBLEM_NEAR = (
    core_select(*(c for c in _newest.c if c.name != "created_at"))
    .where(
        or_(
            _newest.c.contact_id == bindparam("contact_id"),
            _newest.c.location_lat.is_(None),
            _newest.c.location_lon.is_(None),
            and_(
                _newest.c.location_lat.between(bindparam("lat_min"), bindparam("lat_max")),
                _newest.c.location_lon.between(bindparam("lon_min"), bindparam("lon_max")),
            ),
        )
    )
    .order_by(_newest.c.created_at.desc())
)
METRES_PER_DEGREE = 111_320  # of latitude, and of longitude at the equator


def code_taken(session: Session, code: str) -> bool:
    return session.connection().execute(CODE_TAKEN, {"code": code}).first() is not None


def code_clash(exc: IntegrityError) -> bool:
    """Whether `exc` is a complaint code already taken (as SQLite and PostgreSQL word it)."""
    text = str(exc.orig)
    return "complaint.code" in text or "ix_complaint_code" in text


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Core insert of event rows at once, for events nothing reads back in this transaction."""
    session.connection().execute(INSERT_EVENTS, list(rows))


def complaint_by_code(session: Session, code: str) -> Complaint | None:
    return session.exec(select(Complaint).where(Complaint.code == code)).first()


def latest_complaints(
    session: Session, limit: int, *, status: str | None = None, opd: str | None = None
) -> Sequence[Complaint]:
    """The newest `limit` complaints (only in `status`, only of `opd`, when given)."""
    query = select(Complaint).order_by(col(Complaint.id).desc())
    if status:
        query = query.where(Complaint.status == status)
    if opd:
        query = query.where(Complaint.opd == opd)
    return session.exec(query.limit(limit)).all()


def latest_of_contact_since(session: Session, contact_id: int, since: datetime) -> Complaint | None:
    """The contact's newest complaint filed at or after `since`."""
    return session.exec(
        select(Complaint)
        .where(Complaint.contact_id == contact_id)
        .where(Complaint.created_at >= since)
        .order_by(col(Complaint.created_at).desc())
    ).first()


def awaiting_answer(session: Session, contact_id: int) -> Complaint | None:
    """The contact's open complaint on which staff wait for the citizen's answer."""
    return session.exec(AWAITING_ANSWER, params={"contact_id": contact_id}).first()


def same_problem_candidates(
    session: Session,
    category: str,
    since: datetime,
    near: tuple[tuple[float, float], float, int] | None = None,
) -> Sequence[Row]:
    """Open, original complaints of `category` since `since`, newest first (compared columns):
    at most MAX_CANDIDATES of them. `near` (a point, a radius in metres, the contact's id)
    leaves out those placed clearly further away, unless they are the contact's own."""
    params: dict[str, Any] = {"category": category, "since": since}
    box = _box(*near[:2]) if near else None
    if near is None or box is None:
        return session.connection().execute(SAME_PROBLEM_CANDIDATES, params).all()
    lat_min, lat_max, lon_min, lon_max = box
    params |= {"contact_id": near[2], "lat_min": lat_min, "lat_max": lat_max}
    params |= {"lon_min": lon_min, "lon_max": lon_max}
    return session.connection().execute(SAME_PROBLEM_NEAR, params).all()


def _box(point: tuple[float, float], radius_m: float) -> tuple[float, float, float, float] | None:
    """Latitudes and longitudes holding every place within `radius_m` of `point` (a little
    more); None near a pole or the antimeridian, where a box of degrees does not hold it."""
    lat, lon = point
    dlat = radius_m / METRES_PER_DEGREE * 1.01
    if abs(lat) + dlat > 85:
        return None
    dlon = radius_m / (METRES_PER_DEGREE * math.cos(math.radians(abs(lat) + dlat))) * 1.01
    if abs(lon) + dlon > 180:
        return None
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def own_complaint(
    session: Session, contact_id: int, statuses: Collection[str], code: str | None = None
) -> Complaint | None:
    """The contact's latest-updated complaint in `statuses` (and with `code`, if given)."""
    query = (
        select(Complaint)
        .where(Complaint.contact_id == contact_id)
        .where(col(Complaint.status).in_(list(statuses)))
    )
    if code:
        query = query.where(Complaint.code == code)
    return session.exec(query.order_by(col(Complaint.updated_at).desc())).first()


def open_of_contact(session: Session, contact_id: int, limit: int = 5) -> Sequence[Complaint]:
    """The contact's newest open complaints."""
    return session.exec(
        select(Complaint)
        .where(Complaint.contact_id == contact_id)
        .where(col(Complaint.status).in_(OPEN))
        .order_by(col(Complaint.created_at).desc())
        .limit(limit)
    ).all()


def awaiting_review(session: Session, limit: int = 10) -> Sequence[Complaint]:
    """The oldest complaints waiting for an admin to choose their category."""
    return session.exec(
        select(Complaint)
        .where(Complaint.status == Status.needs_review)
        .order_by(col(Complaint.created_at))
        .limit(limit)
    ).all()


def count_open_complaints(session: Session, contact_id: int) -> int:
    """How many of this contact's complaints are still open."""
    return session.exec(
        select(func.count())
        .select_from(Complaint)
        .where(Complaint.contact_id == contact_id)
        .where(col(Complaint.status).in_(OPEN))
    ).one()


# Status changes whose note staff wrote for the citizen; routing notes (the classifier's
# "category -> OPD (score)", a reassignment's reason) stay internal.
CITIZEN_FACING_STATUSES = (Status.in_progress, Status.resolved, Status.rejected)


def latest_note(session: Session, complaint_id: int) -> str | None:
    """The newest note meant for the citizen: a staff message or a status change staff made."""
    for_citizen = or_(
        col(Event.kind) == "staff_message",
        and_(col(Event.kind) == "status", col(Event.to_status).in_(CITIZEN_FACING_STATUSES)),
    )
    return session.exec(
        select(Event.note)
        .where(Event.complaint_id == complaint_id)
        .where(for_citizen)
        .where(col(Event.note).is_not(None))
        .order_by(col(Event.created_at).desc(), col(Event.id).desc())
    ).first()


def web_address_by_secret(session: Session, secret_hash: str) -> str | None:
    """The web address of the citizen whose complaint has this tracking secret's hash."""
    return session.exec(
        select(Contact.address)
        .join(Complaint, col(Complaint.contact_id) == Contact.id)
        .where(Complaint.secret_hash == secret_hash)
        .where(Contact.channel == "web")
    ).first()


def linked_to(session: Session, complaint_id: int | None) -> Sequence[Complaint]:
    """The complaints linked to this one as duplicates, oldest first."""
    return session.exec(
        select(Complaint)
        .where(col(Complaint.duplicate_of_id) == complaint_id)
        .order_by(col(Complaint.id))
    ).all()


def _timed(limit: int | None = None) -> SelectOfScalar[Complaint]:
    """Open, timed complaints, locked for this tick (others skip them rather than wait)."""
    return (
        select(Complaint)
        .where(col(Complaint.status).in_(OPEN))
        .where(col(Complaint.duplicate_of_id).is_(None))
        .where(col(Complaint.due_at).is_not(None))
        .order_by(col(Complaint.due_at), col(Complaint.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def due_within(session: Session, now: datetime, until: datetime) -> Sequence[Complaint]:
    """Timed complaints not yet reminded that fall due after `now` and by `until`, locked."""
    return session.exec(
        _timed()
        .where(col(Complaint.reminded_at).is_(None))
        .where(col(Complaint.due_at) > now)
        .where(col(Complaint.due_at) <= until)
    ).all()


def overdue_unescalated_since(
    session: Session, now: datetime, since: datetime, limit: int
) -> Sequence[Complaint]:
    """Up to `limit` timed complaints due by `now` and not escalated after `since`, locked."""
    return session.exec(
        _timed(limit)
        .where(col(Complaint.due_at) <= now)
        .where(
            or_(
                col(Complaint.escalated_at).is_(None),
                col(Complaint.escalated_at) <= since,
            )
        )
    ).all()


def set_attachment(
    session: Session, complaint: Complaint, index: int, values: dict[str, Any]
) -> None:
    """Record what became of one of the complaint's attachments (stored, or refused and why);
    a value None removes its key."""
    items = [dict(item) for item in complaint.attachments or []]
    if 0 <= index < len(items):
        items[index].update(values)
        for key in [k for k, v in values.items() if v is None]:
            del items[index][key]
        complaint.attachments = items  # a new list: the JSON column sees the change
        session.add(complaint)
