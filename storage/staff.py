"""Queries on staff and the addresses they write from."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from storage.models import Staff, StaffAddress

# Built once: these run for messages on the intake hot path.
ACTIVE_STAFF_BY_ADDRESS = (
    select(Staff)
    .join(StaffAddress, col(StaffAddress.staff_id) == Staff.id)
    .where(StaffAddress.address == bindparam("address"))
    .where(Staff.active)
)
ADDRESSES_SIGNATURE = select(func.count(col(StaffAddress.id)), func.max(StaffAddress.id))
ALL_ADDRESSES = select(StaffAddress.address)


def active_staff_by_address(session: Session, address: str) -> Staff | None:
    return session.exec(ACTIVE_STAFF_BY_ADDRESS, params={"address": address}).first()


def addresses_signature(session: Session) -> tuple[int, int | None]:
    """How many staff addresses there are and the newest one's id: changes when any is added."""
    count, newest = session.connection().execute(ADDRESSES_SIGNATURE).one()
    return int(count), newest


def all_addresses(session: Session) -> frozenset[str]:
    """Every address any staff member is known by (active or not)."""
    return frozenset(session.exec(ALL_ADDRESSES))


def address_rows(session: Session) -> Sequence[StaffAddress]:
    return session.exec(select(StaffAddress)).all()


def active_staff(session: Session, origin: str | None = None) -> Sequence[Staff]:
    """Active staff; with `origin`, only those from there ("config" or "console")."""
    query = select(Staff).where(Staff.active)
    if origin is not None:
        query = query.where(Staff.origin == origin)
    return session.exec(query).all()
