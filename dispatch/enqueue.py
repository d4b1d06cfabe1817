"""Putting work in the outbox, committed in the same transaction as the change it follows."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from channels.message import OutboundMessage
from dispatch.context import DispatchContext
from storage.models import Complaint, Contact, Message, OutboxItem, OutboxStatus


def message_to_contact(
    session: Session,
    contact: Contact,
    text: str,
    key: str,
    complaint: Complaint | None = None,
    **extra: Any,
) -> OutboxItem:
    """Queue `text` for `contact` on their own channel; the outbound Message is stored now."""
    message = Message(
        direction="out",
        channel=contact.channel,
        contact_id=contact.id,
        complaint_id=complaint.id if complaint else None,
        text=text,
        delivery_state="queued",
    )
    session.add(message)
    session.flush()
    outbound = OutboundMessage(
        channel=contact.channel,
        recipient=contact.address,
        text=text,
        complaint_code=complaint.code if complaint else None,
        idempotency_key=key,
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


def dispatch_to_opd(
    session: Session, complaint: Complaint, ctx: DispatchContext, event: str, key: str
) -> list[OutboxItem]:
    """Queue the complaint for every destination of its OPD."""
    items = []
    document = complaint_document(complaint, ctx, event)
    for index, destination in enumerate(ctx.destinations.get(complaint.opd, [])):
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
