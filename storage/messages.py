"""Queries on messages, both directions: inbound by provider id, outbound by provider id."""

from __future__ import annotations

from sqlalchemy import bindparam, insert
from sqlmodel import Session, func, select

from storage.models import Contact, Message

# Built once: statement construction costs more than execution on the intake hot path.
INSERT_MESSAGE = insert(Message.__table__)  # type: ignore[attr-defined]
INBOUND_BY_ID = (
    select(Message.id, Message.complaint_id)
    .where(Message.channel == bindparam("channel"))
    .where(Message.direction == "in")
    .where(Message.external_id == bindparam("external_id"))
)
LAST_INBOUND_AT = (
    select(func.max(Message.created_at))
    .where(Message.contact_id == bindparam("contact_id"))
    .where(Message.direction == "in")
)


def outbound_by_provider_id(session: Session, channel: str, external_id: str) -> Message | None:
    """The message we sent on `channel` that the provider knows as `external_id`."""
    return session.exec(
        select(Message)
        .where(Message.channel == channel)
        .where(Message.direction == "out")
        .where(Message.external_id == external_id)
    ).first()


def recipient_of_outbound(session: Session, channel: str, external_id: str) -> str | None:
    """The address a message we sent on `channel` (provider id `external_id`) went to."""
    return session.exec(
        select(Contact.address)
        .join(Message, Message.contact_id == Contact.id)
        .where(Message.channel == channel)
        .where(Message.direction == "out")
        .where(Message.external_id == external_id)
    ).first()
