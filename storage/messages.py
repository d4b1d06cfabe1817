"""Queries on messages, both directions: inbound by provider id, outbound by provider id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, insert, update
from sqlalchemy.engine import Row
from sqlmodel import Session, col, func, select

from storage.models import Contact, Message

# Built once: statement construction costs more than execution on the intake hot path.
INSERT_MESSAGE = insert(Message.__table__)  # type: ignore[attr-defined]
INBOUND_BY_ID = (
    select(Message.id, Message.complaint_id)
    .where(Message.channel == bindparam("channel"))
    .where(Message.direction == "in")
    .where(Message.external_id == bindparam("external_id"))
)
LINK_TO_COMPLAINT = (
    update(Message.__table__)  # type: ignore[attr-defined]
    .where(col(Message.id) == bindparam("message_id"))
    .values(complaint_id=bindparam("complaint_id"))
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


def outbound_of_complaint(session: Session, complaint_id: int) -> Sequence[Message]:
    """The messages we sent about a complaint, oldest first."""
    return session.exec(
        select(Message)
        .where(Message.complaint_id == complaint_id)
        .where(Message.direction == "out")
        .order_by(col(Message.id))
    ).all()


def recipient_of_outbound(session: Session, channel: str, external_id: str) -> str | None:
    """The address a message we sent on `channel` (provider id `external_id`) went to."""
    return session.exec(
        select(Contact.address)
        .join(Message, col(Message.contact_id) == Contact.id)
        .where(Message.channel == channel)
        .where(Message.direction == "out")
        .where(Message.external_id == external_id)
    ).first()


def inbound_by_id(session: Session, channel: str, external_id: str) -> Row | None:
    """The stored delivery (its id and complaint_id), if `external_id` was seen on `channel`."""
    params = {"channel": channel, "external_id": external_id}
    return session.connection().execute(INBOUND_BY_ID, params).first()


def insert_message(session: Session, **values: object) -> int:
    """Insert a message row on the session's connection; its id."""
    key = session.connection().execute(INSERT_MESSAGE, values).inserted_primary_key
    assert key is not None  # an INSERT of one row always has it
    return int(key[0])


def link_to_complaint(session: Session, message_id: int, complaint_id: int) -> None:
    session.connection().execute(
        LINK_TO_COMPLAINT, {"message_id": message_id, "complaint_id": complaint_id}
    )


def latest_outbound_since(session: Session, contact_id: int, since: datetime) -> Message | None:
    """The last message sent to the contact at or after `since`."""
    return session.exec(
        select(Message)
        .where(Message.contact_id == contact_id)
        .where(Message.direction == "out")
        .where(Message.created_at >= since)
        .order_by(col(Message.id).desc())
    ).first()


def last_inbound_at(session: Session, contact_id: int | None) -> datetime | None:
    """When the contact last wrote to us, if ever."""
    return session.exec(LAST_INBOUND_AT, params={"contact_id": contact_id}).one()
