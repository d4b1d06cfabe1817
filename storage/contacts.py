"""Queries on contacts: a citizen, staff member or OPD chat as one channel knows them."""

from __future__ import annotations

from sqlalchemy import Table, bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, select

from storage.models import Contact
from storage.rows import persistent

CONTACTS: Table = Contact.__table__  # type: ignore[attr-defined]
# Built once, Core: on the intake hot path (every message) building and running an ORM select
# costs several times the statement, and most web senders are new (no row at all).
CONTACT_BY_ADDRESS = (
    core_select(CONTACTS)
    .where(CONTACTS.c.channel == bindparam("channel"))
    .where(CONTACTS.c.address == bindparam("address"))
)


def any_on_channel(session: Session, channel: str) -> bool:
    """Whether any contact is known on `channel`."""
    return session.exec(select(Contact.id).where(Contact.channel == channel)).first() is not None


def contact_by_address(session: Session, channel: str, address: str) -> Contact | None:
    """The contact known on `channel` by `address`, if any (an object of `session`)."""
    if session.new:  # as an ORM query would: contacts added but not yet written are found
        session.flush()
    params = {"channel": channel, "address": address}
    row = session.connection().execute(CONTACT_BY_ADDRESS, params).first()
    return None if row is None else persistent(session, Contact, row._mapping)
