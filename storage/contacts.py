"""Queries on contacts: a citizen, staff member or OPD chat as one channel knows them."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, select

from storage.models import Contact

# Built once: statement construction costs more than execution on the intake hot path.
CONTACT_BY_ADDRESS = (
    select(Contact)
    .where(Contact.channel == bindparam("channel"))
    .where(Contact.address == bindparam("address"))
)


def any_on_channel(session: Session, channel: str) -> bool:
    """Whether any contact is known on `channel`."""
    return session.exec(select(Contact.id).where(Contact.channel == channel)).first() is not None


def contact_by_address(session: Session, channel: str, address: str) -> Contact | None:
    """The contact known on `channel` by `address`, if any."""
    return session.exec(CONTACT_BY_ADDRESS, params={"channel": channel, "address": address}).first()
