"""Staff identities live in the database; config.yaml's `staff:` list is their source."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Engine

from aduan.config import StaffConfig
from storage.engine import transaction
from storage.models import Staff, StaffAddress
from storage.staff import active_staff, address_rows


def seed_staff(engine: Engine, members: Sequence[StaffConfig]) -> None:
    """Make the database's staff match the config: add, update, and deactivate the rest."""
    with transaction(engine) as session:
        known = {a.address: a for a in address_rows(session)}
        kept: set[int] = set()
        for member in members:
            existing = next((known[a] for a in member.addresses if a in known), None)
            staff = session.get(Staff, existing.staff_id) if existing else None
            if staff is None:
                staff = Staff(name=member.name)
            staff.name, staff.opd, staff.role, staff.active = (
                member.name,
                member.opd,
                member.role,
                True,
            )
            staff.login = member.login or staff.login
            session.add(staff)
            session.flush()
            assert staff.id is not None
            kept.add(staff.id)
            for address in member.addresses:
                row = known.get(address) or StaffAddress(staff_id=staff.id, address=address)
                row.staff_id = staff.id
                session.add(row)
        # Console accounts (`aduan staff add`) are not the config's to remove.
        for staff in active_staff(session, origin="config"):
            if staff.id not in kept:
                staff.active = False
                session.add(staff)
