"""Queries behind the public map and list: the columns a public report shows, nothing more.

Which categories and statuses are public is the caller's (the app's) decision, passed in.
The citizen's display name is read only so that the caller can scrub it from the text.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from storage.models import Complaint, Contact


@dataclass(frozen=True)
class PublicRow:
    code: str
    category: str
    status: str
    opd: str
    text: str
    address: str | None
    lat: float | None
    lon: float | None
    created_at: datetime
    citizen_name: str | None  # only to scrub it from the text, never shown


def public_rows(
    session: Session,
    categories: Collection[str],
    statuses: Collection[str],
    since: datetime,
    limit: int,
) -> list[PublicRow]:
    """Original complaints of `categories` in `statuses` filed since `since`, newest first."""
    if not categories or not statuses:
        return []
    query = (
        select(
            col(Complaint.code),
            col(Complaint.category),
            col(Complaint.status),
            col(Complaint.opd),
            col(Complaint.text),
            col(Complaint.location_address),
            col(Complaint.location_lat),
            col(Complaint.location_lon),
            col(Complaint.created_at),
            col(Contact.display_name),
        )
        .join(Contact, col(Contact.id) == col(Complaint.contact_id))
        .where(col(Complaint.category).in_(list(categories)))
        .where(col(Complaint.status).in_(list(statuses)))
        .where(col(Complaint.duplicate_of_id).is_(None))
        .where(col(Complaint.created_at) >= since)
        .order_by(col(Complaint.created_at).desc(), col(Complaint.id).desc())
        .limit(limit)
    )
    return [PublicRow(*tuple(row)) for row in session.connection().execute(query).all()]
