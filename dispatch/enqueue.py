"""Putting work in the outbox, committed in the same transaction as the change it follows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, func, select

from channels.message import Button, OutboundMessage
from dispatch.context import DispatchContext
from dispatch.destinations import ChatDestination
from storage.models import Complaint, Contact, Message, OutboxItem, OutboxStatus

# Built once: statement construction costs more than execution on the intake hot path.
LAST_INBOUND_AT = (
    select(func.max(Message.created_at))
    .where(Message.contact_id == bindparam("contact_id"))
    .where(Message.direction == "in")
)
CONTACT_BY_ADDRESS = (
    select(Contact)
    .where(Contact.channel == bindparam("channel"))
    .where(Contact.address == bindparam("address"))
)

STAFF_BUTTONS = (
    ("in_progress", "/proses"),
    ("resolve", "/selesai"),
    ("reject", "/tolak"),
    ("reassign", "/alihkan"),
)


def message_to_contact(
    session: Session,
    contact: Contact,
    text: str,
    key: str,
    complaint: Complaint | None = None,
    known_last_inbound_at: datetime | None = None,
    **extra: Any,
) -> OutboxItem:
    """Queue `text` for `contact` on their own channel; the outbound Message is stored now.

    Buttons are kept on the stored message so that a later reply "2" can mean the second one.
    `known_last_inbound_at` spares the lookup when the caller knows the contact's latest
    inbound message (e.g. the one just received from a new contact).
    """
    buttons = extra.get("buttons") or []
    message = Message(
        direction="out",
        channel=contact.channel,
        contact_id=contact.id,
        complaint_id=complaint.id if complaint else None,
        text=text,
        delivery_state="queued",
        payload={"buttons": [b.model_dump() for b in buttons]} if buttons else None,
    )
    session.add(message)
    session.flush()
    last_inbound_at = known_last_inbound_at or session.exec(
        LAST_INBOUND_AT, params={"contact_id": contact.id}
    ).one()
    outbound = OutboundMessage(
        channel=contact.channel,
        recipient=contact.address,
        text=text,
        complaint_code=complaint.code if complaint else None,
        idempotency_key=key,
        last_inbound_at=last_inbound_at,
        **extra,
    )
    status = OutboxStatus.pending
    last_error = None
    if contact.opted_out or contact.unreachable:
        status, last_error = OutboxStatus.dead, "contact opted out or unreachable"
        message.delivery_state = "failed"
    item = OutboxItem(
        kind="message",
        target=contact.channel,
        payload=outbound.model_dump(mode="json"),
        idempotency_key=key,
        complaint_id=message.complaint_id,
        message_id=message.id,
        status=status,
        last_error=last_error,
    )
    session.add(item)
    return item


def complaint_document(complaint: Complaint, ctx: DispatchContext, event: str) -> dict[str, Any]:
    """The JSON an OPD receives: the complaint, without the citizen's contact details."""
    return {
        "event": event,
        "code": complaint.code,
        "status": complaint.status,
        "category": complaint.category,
        "category_name": ctx.category_name("id", complaint.category),
        "opd": complaint.opd,
        "opd_name": ctx.opd_name(complaint.opd),
        "text": complaint.text,
        "channel": complaint.channel,
        "location": {
            "lat": complaint.location_lat,
            "lon": complaint.location_lon,
            "address": complaint.location_address,
        },
        "attachments": complaint.attachments,
        "confidence": complaint.confidence,
        "created_at": complaint.created_at.isoformat(),
        "due_at": complaint.due_at.isoformat() if complaint.due_at else None,
        "due_local": ctx.local_time(complaint.due_at),
    }


def _post_to_chat(
    session: Session,
    complaint: Complaint,
    ctx: DispatchContext,
    destination: ChatDestination,
    document: dict[str, Any],
    key: str,
) -> OutboxItem:
    """Post the complaint in the OPD's chat, with buttons for the usual staff actions."""
    chat = session.exec(
        CONTACT_BY_ADDRESS,
        params={"channel": destination.channel, "address": destination.address},
    ).first()
    if chat is None:
        chat = Contact(
            channel=destination.channel,
            address=destination.address,
            display_name=ctx.opd_name(complaint.opd),
            language=ctx.default_language,
        )
        session.add(chat)
        session.flush()
    language = chat.language
    location = document["location"]
    where = location.get("address") or (
        f"{location['lat']}, {location['lon']}" if location.get("lat") is not None else "-"
    )
    text = ctx.text(
        language,
        "opd_complaint",
        code=complaint.code,
        category=document["category_name"],
        opd=document["opd_name"],
        text=complaint.text,
        location=where,
        due=document["due_local"],
    )
    buttons = [
        Button(label=ctx.text(language, f"button_{action}"), payload=f"{command} {complaint.code}")
        for action, command in STAFF_BUTTONS
    ]
    return message_to_contact(
        session,
        chat,
        text,
        key,
        complaint,
        buttons=buttons,
        attachments=complaint.attachments,
        location=location if location.get("lat") is not None else None,
    )


def dispatch_to_opd(
    session: Session,
    complaint: Complaint,
    ctx: DispatchContext,
    event: str,
    key: str,
    message: str | None = None,
) -> list[OutboxItem]:
    """Queue the complaint for every destination of its OPD; `message` is news about it."""
    items = []
    document = complaint_document(complaint, ctx, event)
    if message:
        document["message"] = message
    for index, destination in enumerate(ctx.destinations.get(complaint.opd, [])):
        if isinstance(destination, ChatDestination):
            items.append(
                _post_to_chat(session, complaint, ctx, destination, document, f"{key}:{index}")
            )
            continue
        item = OutboxItem(
            kind="dispatch",
            target=destination.kind,
            payload={"destination": destination.model_dump(mode="json"), "document": document},
            idempotency_key=f"{key}:{index}",
            complaint_id=complaint.id,
        )
        session.add(item)
        items.append(item)
    return items
