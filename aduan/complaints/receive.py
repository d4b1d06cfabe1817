"""Receive and dedupe: a delivery seen before is answered from the record, a new one stored."""

from __future__ import annotations

import logging

from sqlalchemy import Row
from sqlmodel import Session

from aduan.complaints.outcome import Outcome
from channels.masking import mask_address
from channels.message import InboundMessage
from dispatch.context import DispatchContext
from storage.contacts import contact_by_address
from storage.messages import inbound_by_id, insert_message
from storage.models import Complaint, Contact
from storage.rows import built, insert_now

log = logging.getLogger("aduan.complaints.receive")


def find_delivery(session: Session, inbound: InboundMessage) -> Row | None:
    """The stored delivery (its id and complaint_id), if this one was seen before."""
    return inbound_by_id(session, inbound.channel, inbound.external_id)


def duplicate(session: Session, seen: Row) -> Outcome:
    """A delivery seen before: report the complaint it concerned, change nothing."""
    complaint = session.get(Complaint, seen.complaint_id) if seen.complaint_id else None
    if complaint is None:
        return Outcome(kind="duplicate")
    return Outcome.about("duplicate", complaint)


def find_or_add_contact(
    session: Session, inbound: InboundMessage, ctx: DispatchContext
) -> tuple[Contact, bool]:
    """The sender's contact, and whether it was created just now (so has no history)."""
    contact = contact_by_address(session, inbound.channel, inbound.sender)
    if contact is None:
        values = {
            "channel": inbound.channel,
            "address": inbound.sender,
            "display_name": inbound.sender_name,
            "language": ctx.language(inbound.language),
        }
        contact = built(Contact, values)
        insert_now(session, contact)
        return contact, True
    if inbound.language and inbound.language != contact.language:
        contact.language = ctx.language(inbound.language)
        session.add(contact)
    return contact, False


def store_inbound(session: Session, inbound: InboundMessage, contact: Contact) -> int:
    """Insert the inbound message now (a duplicate delivery fails here); its id."""
    message_id = insert_message(
        session,
        direction="in",
        channel=inbound.channel,
        external_id=inbound.external_id,
        contact_id=contact.id,
        complaint_id=None,
        text=inbound.text,
        payload=inbound.raw,
        delivery_state=None,
        delivery_error=None,
        created_at=inbound.received_at,
    )
    log.info(
        "message %s/%s from %s",
        inbound.channel,
        inbound.external_id,
        mask_address(inbound.sender),
    )
    return message_id
