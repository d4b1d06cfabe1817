"""The WhatsApp Cloud API webhook payload, and how it maps onto the common format.

Shapes follow Meta's "Webhooks payload examples" (messages and statuses); fields we do not use
are ignored so that new ones Meta adds never break intake.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from channels.contract import Parsed
from channels.inputs import clean_text, identifier
from channels.message import (
    Attachment,
    DeliveryReceipt,
    DeliveryState,
    InboundMessage,
    Location,
)

log = logging.getLogger("aduan.channels.meta_whatsapp")

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
STATES: dict[str, DeliveryState] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
}


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Profile(_Loose):
    name: str | None = None


class Contact(_Loose):
    wa_id: str
    profile: Profile = Field(default_factory=Profile)


class Text(_Loose):
    body: str = ""


class Media(_Loose):
    id: str
    mime_type: str = "application/octet-stream"
    caption: str | None = None
    filename: str | None = None


class Place(_Loose):
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None


class Reply(_Loose):
    id: str
    title: str = ""


class Interactive(_Loose):
    type: str
    button_reply: Reply | None = None
    list_reply: Reply | None = None


class TemplateButton(_Loose):
    payload: str | None = None
    text: str = ""


class Context(_Loose):
    id: str | None = None


class Message(_Loose):
    id: str = Field(min_length=1)
    sender: str = Field(alias="from", min_length=1)
    timestamp: str
    type: str
    text: Text | None = None
    image: Media | None = None
    document: Media | None = None
    audio: Media | None = None
    video: Media | None = None
    sticker: Media | None = None
    location: Place | None = None
    interactive: Interactive | None = None
    button: TemplateButton | None = None
    context: Context | None = None


class StatusError(_Loose):
    code: int | str
    title: str | None = None
    message: str | None = None
    error_data: dict[str, Any] | None = None


class Status(_Loose):
    id: str
    status: str
    timestamp: str | None = None
    recipient_id: str | None = None
    errors: list[StatusError] = Field(default_factory=list)


class Metadata(_Loose):
    phone_number_id: str
    display_phone_number: str | None = None


class Value(_Loose):
    messaging_product: str = "whatsapp"
    metadata: Metadata
    contacts: list[Contact] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)
    statuses: list[Status] = Field(default_factory=list)


class Change(_Loose):
    field: str
    value: dict[str, Any]


class Entry(_Loose):
    id: str
    changes: list[Change] = Field(default_factory=list)


class Notification(_Loose):
    object: str
    entry: list[Entry] = Field(min_length=1)


def _time(timestamp: str | None) -> datetime:
    try:
        return datetime.fromtimestamp(int(timestamp or ""), UTC)
    except ValueError:
        return datetime.now(UTC)


def _content(
    message: Message, media_url: Any
) -> tuple[str, list[Attachment], Location | None] | None:
    """Text, attachments and location of one message; None for types we do not take."""
    if message.type == "text" and message.text is not None:
        return message.text.body, [], None
    if message.type in MEDIA_TYPES:
        media: Media | None = getattr(message, message.type)
        if media is None:
            return None
        attachment = Attachment(
            url=media_url(media.id), content_type=media.mime_type, name=media.filename
        )
        return media.caption or "", [attachment], None
    if message.type == "location" and message.location is not None:
        place = message.location
        address = ", ".join(filter(None, [place.name, place.address])) or None
        return "", [], Location(lat=place.latitude, lon=place.longitude, address=address)
    if message.type == "interactive" and message.interactive is not None:
        reply = message.interactive.button_reply or message.interactive.list_reply
        return (reply.id, [], None) if reply else None
    if message.type == "button" and message.button is not None:
        return message.button.payload or message.button.text, [], None
    return None


def messages_of(channel: str, value: Value, media_url: Any) -> list[Parsed]:
    """Every message and status of one change, in the order Meta listed them."""
    names = {contact.wa_id: contact.profile.name for contact in value.contacts}
    parsed: list[Parsed] = []
    for message in value.messages:
        content = _content(message, media_url)
        if content is None:
            log.info("%s: skipped a %r message %s", channel, message.type, message.id)
            continue
        text, attachments, location = content
        parsed.append(
            InboundMessage(
                channel=channel,
                external_id=identifier(message.id, "messages.id"),
                sender=f"whatsapp:+{identifier(message.sender, 'messages.from').lstrip('+')}",
                sender_name=names.get(message.sender),
                text=clean_text(text),
                attachments=attachments,
                location=location,
                received_at=_time(message.timestamp),
                reply_to=message.context.id if message.context else None,
                raw=message.model_dump(mode="json", by_alias=True, exclude_none=True),
            )
        )
    for status in value.statuses:
        state = STATES.get(status.status)
        if state is None:
            continue
        error = status.errors[0] if status.errors else None
        detail = None
        if error is not None:
            details = (error.error_data or {}).get("details")
            detail = "; ".join(filter(None, [error.title or error.message, details])) or None
        parsed.append(
            DeliveryReceipt(
                channel=channel,
                external_id=identifier(status.id, "statuses.id"),
                state=state,
                error_code=str(error.code) if error else None,
                error_message=detail,
                received_at=_time(status.timestamp),
            )
        )
    return parsed
