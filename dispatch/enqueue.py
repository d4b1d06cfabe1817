"""Putting work in the outbox, committed in the same transaction as the change it follows."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from channels.message import Button, OutboundMessage
from dispatch.context import DispatchContext
from dispatch.destinations import ChatDestination, Destination, outbox_target
from dispatch.media_links import chat_attachments, opd_attachments
from storage.contacts import contact_by_address
from storage.messages import insert_message, last_inbound_at
from storage.models import Complaint, Contact, OutboxStatus, utcnow
from storage.outbox import insert_item

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
    sent: bool = False,
    now: datetime | None = None,
    **extra: Any,
) -> int:
    """Queue `text` for `contact` on their own channel, storing the outbound Message (with its
    buttons, so that a later reply "2" means the second); returns the outbox id.

    `known_last_inbound_at` spares the lookup of the contact's latest inbound message; `sent`:
    the text is shown in the response already, so the row is stored sent and no worker sends it.
    `now`: the caller's clock (its context's), else the wall clock.
    """
    now = now or utcnow()
    blocked = contact.opted_out or contact.unreachable
    sent = sent and not blocked
    complaint_id = complaint.id if complaint else None
    message_id = _store_outbound(session, contact, text, complaint_id, extra, blocked, sent, now)
    last_in = known_last_inbound_at or last_inbound_at(session, contact.id)
    return queue_item(
        session,
        kind="message",
        target=contact.channel,
        payload=_outbound(contact, text, key, complaint, last_in, extra),
        key=key,
        complaint_id=complaint_id,
        message_id=message_id,
        dead_because="contact opted out or unreachable" if blocked else None,
        sent=sent,
        now=now,
    )


def _outbound(
    contact: Contact,
    text: str,
    key: str,
    complaint: Complaint | None,
    last_in: datetime | None,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """The outbox payload of a message to `contact`: what the channel's sender reads."""
    return OutboundMessage(
        channel=contact.channel,
        recipient=contact.address,
        text=text,
        complaint_code=complaint.code if complaint else None,
        idempotency_key=key,
        last_inbound_at=last_in,
        **extra,
    ).model_dump(mode="json")


def _store_outbound(
    session: Session,
    contact: Contact,
    text: str,
    complaint_id: int | None,
    extra: dict[str, Any],
    blocked: bool,
    sent: bool,
    now: datetime,
) -> int:
    """Store the outbound Message (failed at once for a blocked contact, sent when `sent`);
    returns its id."""
    buttons: Sequence[Button] | None = extra.get("buttons")
    # Core inserts on the session's connection: this runs for every acknowledgement, and ORM
    # objects cost far more to build and flush than the rows cost to write. Nothing reads them
    # back in this session, and they refer only to rows already inserted.
    return insert_message(
        session,
        direction="out",
        channel=contact.channel,
        external_id=None,
        contact_id=contact.id,
        complaint_id=complaint_id,
        text=text,
        payload={"buttons": [b.model_dump() for b in buttons]} if buttons else None,
        delivery_state="failed" if blocked else "sent" if sent else "queued",
        delivery_error=None,
        created_at=now,
    )


def queue_dispatch(
    session: Session,
    destination: Destination,
    document: dict[str, Any],
    key: str,
    complaint_id: int | None,
    text: str | None = None,
    now: datetime | None = None,
) -> int:
    """Queue `document` for a webhook or email destination; returns the outbox id.

    `text` is what an email says, rendered now in the instance's language; `now`: the
    caller's clock, else the wall clock.
    """
    payload: dict[str, Any] = {
        "destination": destination.model_dump(mode="json"),
        "document": document,
    }
    if text is not None:
        payload["text"] = text
    return queue_item(
        session,
        kind="dispatch",
        target=outbox_target(destination.kind),
        payload=payload,
        key=key,
        complaint_id=complaint_id,
        now=now,
    )


def queue_item(
    session: Session,
    *,
    kind: str,
    target: str,
    payload: dict[str, Any],
    key: str,
    complaint_id: int | None,
    message_id: int | None = None,
    dead_because: str | None = None,
    sent: bool = False,
    now: datetime | None = None,
) -> int:
    """Insert one outbox row (a repeated key fails here, as a unique violation).

    A `sent` row is delivered already: stored as one attempt that succeeded now. `now`: the
    caller's clock (its context's), else the wall clock.
    """
    now = now or utcnow()
    status = OutboxStatus.sent if sent else OutboxStatus.pending
    return insert_item(
        session,
        kind=kind,
        target=target,
        payload=payload,
        idempotency_key=key,
        complaint_id=complaint_id,
        message_id=message_id,
        status=OutboxStatus.dead if dead_because else status,
        attempts=1 if sent and not dead_because else 0,
        next_attempt_at=now,
        locked_until=None,
        last_error=dead_because,
        created_at=now,
        sent_at=now if sent and not dead_because else None,
    )


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
        "area": {"kecamatan": complaint.kecamatan, "desa": complaint.desa},
        "attachments": opd_attachments(complaint, ctx.media_links, ctx.media_channels),
        "confidence": complaint.confidence,
        "created_at": complaint.created_at.isoformat(),
        "due_at": complaint.due_at.isoformat() if complaint.due_at else None,
        "due_local": ctx.local_time(complaint.due_at),
    }


def place(location: Mapping[str, Any]) -> str:
    """A document's location as staff read it: the address, else the coordinates, else "-"."""
    return location.get("address") or (
        f"{location['lat']}, {location['lon']}" if location.get("lat") is not None else "-"
    )


def email_values(document: Mapping[str, Any]) -> dict[str, Any]:
    """The placeholders of the `opd_email` template, from the complaint document."""
    return {
        "code": document["code"],
        "category": document["category_name"],
        "opd": document["opd_name"],
        "due": document["due_local"],
        "location": place(document.get("location") or {}),
        "text": document["text"],
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
    now: datetime,
) -> int:
    """Post the complaint in the OPD's chat, with buttons for the usual staff actions."""
    chat = chat_contact(session, destination, ctx.opd_name(complaint.opd), ctx.default_language)
    language = chat.language
    location = document["location"]
    text = ctx.text(
        language,
        "opd_complaint",
        code=complaint.code,
        category=document["category_name"],
        opd=document["opd_name"],
        text=complaint.text,
        location=place(location),
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
        attachments=chat_attachments(complaint, ctx.media_links, destination.channel),
        location=location if location.get("lat") is not None else None,
        now=now,
    )


def dispatch_to_opd(
    session: Session,
    complaint: Complaint,
    ctx: DispatchContext,
    event: str,
    key: str,
    message: str | None = None,
    *,
    notice: Callable[[str | None], str] | None = None,
    extra: Mapping[str, Any] | None = None,
    destinations: Sequence[Destination] | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Queue the complaint for every destination of its OPD; `message` is news about it.

    A `notice` (a reminder, an escalation) goes to `destinations` (default: the OPD's) in
    place of the complaint post: chats get `notice(language)`, webhooks and email the
    document with the notice and the `extra` fields. Keys are `{key}:{index}`; returns the
    outbox ids. `now` (default: the context's clock) stamps the rows.
    """
    now = now or ctx.clock()
    document = _opd_document(complaint, ctx, event, message, notice, extra)
    if destinations is None:
        destinations = ctx.destinations_of(complaint.opd, complaint.kecamatan)
    return [
        _queue_for(session, complaint, ctx, destination, document, f"{key}:{index}", notice, now)
        for index, destination in enumerate(destinations)
    ]


def _opd_document(
    complaint: Complaint,
    ctx: DispatchContext,
    event: str,
    message: str | None,
    notice: Callable[[str | None], str] | None,
    extra: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The complaint document with the news, the notice and the extra fields it carries."""
    document = complaint_document(complaint, ctx, event)
    if message:
        document["message"] = message
    if notice is not None:
        document["notice"] = notice(ctx.default_language)
    document.update(extra or {})
    return document


def _queue_for(
    session: Session,
    complaint: Complaint,
    ctx: DispatchContext,
    destination: Destination,
    document: dict[str, Any],
    key: str,
    notice: Callable[[str | None], str] | None,
    now: datetime,
) -> int:
    """Queue one destination's item: a webhook/email document, a chat post or a chat notice."""
    if not isinstance(destination, ChatDestination):
        text = None
        if destination.kind == "email":
            text = ctx.text_lines(None, "opd_email", **email_values(document))
        return queue_dispatch(session, destination, document, key, complaint.id, text, now)
    if notice is None:
        return _post_to_chat(session, complaint, ctx, destination, document, key, now)
    chat = chat_contact(session, destination, ctx.opd_name(complaint.opd), ctx.default_language)
    return message_to_contact(session, chat, notice(chat.language), key, complaint, now=now)
