"""Putting work in the outbox, committed in the same transaction as the change it follows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from channels.message import Button, OutboundMessage
from dispatch.context import DispatchContext
from dispatch.destinations import ChatDestination, Destination
from storage.contacts import contact_by_address
from storage.messages import INSERT_MESSAGE, LAST_INBOUND_AT
from storage.models import Complaint, Contact, OutboxItem, OutboxStatus, utcnow

# Built once: statement construction costs more than execution on the intake hot path.
INSERT_OUTBOX = insert(OutboxItem.__table__)  # type: ignore[attr-defined]

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
) -> int:
    """Queue `text` for `contact` on their own channel; the outbound Message is stored now.

    Buttons are kept on the stored message so that a later reply "2" can mean the second one.
    `known_last_inbound_at` spares the lookup when the caller knows the contact's latest
    inbound message (e.g. the one just received from a new contact). Returns the outbox id.
    """
    buttons = extra.get("buttons") or []
    blocked = contact.opted_out or contact.unreachable
    complaint_id = complaint.id if complaint else None
    now = utcnow()
    # Core inserts on the session's connection: this runs for every acknowledgement, and ORM
    # objects cost far more to build and flush than the rows cost to write. Nothing reads them
    # back in this session, and they refer only to rows already inserted.
    inserted = session.connection().execute(
        INSERT_MESSAGE,
        {
            "direction": "out",
            "channel": contact.channel,
            "external_id": None,
            "contact_id": contact.id,
            "complaint_id": complaint_id,
            "text": text,
            "payload": {"buttons": [b.model_dump() for b in buttons]} if buttons else None,
            "delivery_state": "failed" if blocked else "queued",
            "delivery_error": None,
            "created_at": now,
        },
    )
    message_id = inserted.inserted_primary_key[0]
    last_inbound_at = (
        known_last_inbound_at
        or session.exec(LAST_INBOUND_AT, params={"contact_id": contact.id}).one()
    )
    outbound = OutboundMessage(
        channel=contact.channel,
        recipient=contact.address,
        text=text,
        complaint_code=complaint.code if complaint else None,
        idempotency_key=key,
        last_inbound_at=last_inbound_at,
        **extra,
    )
    return _queue(
        session,
        kind="message",
        target=contact.channel,
        payload=outbound.model_dump(mode="json"),
        key=key,
        complaint_id=complaint_id,
        message_id=message_id,
        dead_because="contact opted out or unreachable" if blocked else None,
    )


def queue_dispatch(
    session: Session,
    destination: Destination,
    document: dict[str, Any],
    key: str,
    complaint_id: int | None,
) -> int:
    """Queue `document` for a webhook or email destination; returns the outbox id."""
    return _queue(
        session,
        kind="dispatch",
        target=destination.kind,
        payload={"destination": destination.model_dump(mode="json"), "document": document},
        key=key,
        complaint_id=complaint_id,
    )


def _queue(
    session: Session,
    *,
    kind: str,
    target: str,
    payload: dict[str, Any],
    key: str,
    complaint_id: int | None,
    message_id: int | None = None,
    dead_because: str | None = None,
) -> int:
    """Insert one outbox row (a repeated key fails here, as a unique violation)."""
    now = utcnow()
    inserted = session.connection().execute(
        INSERT_OUTBOX,
        {
            "kind": kind,
            "target": target,
            "payload": payload,
            "idempotency_key": key,
            "complaint_id": complaint_id,
            "message_id": message_id,
            "status": OutboxStatus.dead if dead_because else OutboxStatus.pending,
            "attempts": 0,
            "next_attempt_at": now,
            "locked_until": None,
            "last_error": dead_because,
            "created_at": now,
            "sent_at": None,
        },
    )
    return inserted.inserted_primary_key[0]


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


def chat_contact(
    session: Session, destination: ChatDestination, name: str, language: str
) -> Contact:
    """The contact standing for an OPD's chat (or mailbox), created on first use."""
    chat = contact_by_address(session, destination.channel, destination.address)
    if chat is None:
        chat = Contact(
            channel=destination.channel,
            address=destination.address,
            display_name=name,
            language=language,
        )
        session.add(chat)
        session.flush()
    return chat


def _post_to_chat(
    session: Session,
    complaint: Complaint,
    ctx: DispatchContext,
    destination: ChatDestination,
    document: dict[str, Any],
    key: str,
) -> int:
    """Post the complaint in the OPD's chat, with buttons for the usual staff actions."""
    chat = chat_contact(session, destination, ctx.opd_name(complaint.opd), ctx.default_language)
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
) -> list[int]:
    """Queue the complaint for every destination of its OPD; `message` is news about it.

    Returns the outbox ids.
    """
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
        items.append(queue_dispatch(session, destination, document, f"{key}:{index}", complaint.id))
    return items
