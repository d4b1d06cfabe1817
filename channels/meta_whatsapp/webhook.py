"""The WhatsApp Cloud API webhook payload, and how it maps onto the common format.

Shapes follow Meta's "Webhooks payload examples" (messages and statuses); fields we do not use
are ignored so that new ones Meta adds never break intake.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from channels.contract import InvalidRequest, Parsed
from channels.inputs import clean_text, identifier
from channels.message import (
    Attachment,
    DeliveryReceipt,
    DeliveryState,
    InboundMessage,
    Location,
    without_nul,
)
from channels.meta_whatsapp.codes import unreachable

log = logging.getLogger("aduan.channels.meta_whatsapp")

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
# Not a message from a person to answer: a reaction to one of ours, a number change notice.
SILENT_TYPES = frozenset({"reaction", "system", "request_welcome"})
PHONE = re.compile(r"\+?\d{6,15}")
# Business-scoped user id: ISO country code, a period, alphanumerics ("US.ENT." for a parent).
USER_ID = re.compile(r"[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}")
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
    username: str | None = None


class Contact(_Loose):
    """The sender as `contacts` describes them: a phone number (wa_id) unless they hide it
    behind a username, and the business-scoped user id (user_id) Meta gives everyone."""

    wa_id: str | None = None
    user_id: str | None = None
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


class CardName(_Loose):
    formatted_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class CardPhone(_Loose):
    phone: str | None = None
    wa_id: str | None = None


class CardEmail(_Loose):
    email: str | None = None


class Card(_Loose):
    """A contact card the citizen shared (a `contacts` message): often the person to call."""

    name: CardName = Field(default_factory=CardName)
    phones: list[CardPhone] = Field(default_factory=list)
    emails: list[CardEmail] = Field(default_factory=list)

    def as_text(self) -> str:
        name = self.name.formatted_name or " ".join(
            filter(None, [self.name.first_name, self.name.last_name])
        )
        phones = [
            phone.phone or f"+{phone.wa_id}" for phone in self.phones if phone.phone or phone.wa_id
        ]
        emails = [email.email for email in self.emails if email.email]
        return ", ".join(filter(None, [name, *phones, *emails]))


class Message(_Loose):
    id: str = Field(min_length=1)
    # The phone number; omitted for a user who hides it behind a username (then from_user_id).
    sender: str | None = Field(default=None, alias="from")
    from_user_id: str | None = None
    group_id: str | None = None
    timestamp: str | None = None
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
    contacts: list[Card] = Field(default_factory=list)
    context: Context | None = None
    errors: list[dict[str, Any]] = Field(default_factory=list)  # why Meta calls it unsupported
    unsupported: dict[str, Any] | None = None  # {"type": "poll"}: what the citizen sent


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
    # Validated one by one in `messages_of`: one message we cannot read must not lose the rest.
    messages: list[Any] = Field(default_factory=list)
    statuses: list[Any] = Field(default_factory=list)


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
    except (ValueError, OverflowError, OSError):  # not a number, or beyond any clock
        return datetime.now(UTC)


def _content(message: Message, media_url: Any) -> tuple[str, list[Attachment], Location | None]:
    """Text, attachments and location of one message.

    What we cannot read (an `unsupported` message, a type newer than this code) comes out
    empty, so the citizen is still answered and told how to write to us.
    """
    if message.type == "text" and message.text is not None:
        return message.text.body, [], None
    if message.type in MEDIA_TYPES:
        media: Media | None = getattr(message, message.type)
        if media is None:
            return "", [], None
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
        return (reply.id if reply else ""), [], None
    if message.type == "button" and message.button is not None:
        return message.button.payload or message.button.text, [], None
    if message.type == "contacts":
        return "\n".join(filter(None, (card.as_text() for card in message.contacts))), [], None
    return "", [], None


def _kind(message: Message) -> str:
    """What a message we could not read was: Meta names an unsupported one's real type."""
    kind = (message.unsupported or {}).get("type") if message.type == "unsupported" else None
    return str(kind or message.type)[:64]


def sender_address(message: Message) -> str | None:
    """`whatsapp:+62812…` for a phone number, `whatsapp:ID.1502…` for a business-scoped user id
    (a user who hides their number behind a username); None when the message names neither."""
    phone = without_nul(message.sender or "").strip()
    if PHONE.fullmatch(phone):
        return f"whatsapp:+{phone.lstrip('+')}"
    for candidate in (message.from_user_id, phone):
        user_id = without_nul(candidate or "").strip()
        if USER_ID.fullmatch(user_id):
            return f"whatsapp:{user_id}"
    return None


def _names(value: Value) -> dict[str, str]:
    """Profile names by phone number and by user id, as `contacts` gives them."""
    names: dict[str, str] = {}
    for contact in value.contacts:
        name = contact.profile.name or contact.profile.username
        if not name:
            continue
        for key in (contact.wa_id, contact.user_id):
            if key:
                names[key.lstrip("+")] = name
    return names


class LeftOut(Exception):
    """One message or status of a batch that cannot be taken; the message says why."""


def _message(
    channel: str, raw: Any, names: dict[str, str], media_url: Any
) -> InboundMessage | None:
    """One message of a batch; None for one that is not for us, LeftOut for one we cannot take."""
    wamid = str(raw.get("id") or "?")[:100] if isinstance(raw, dict) else "?"
    try:
        message = Message.model_validate(raw)
    except ValidationError as exc:
        raise LeftOut(f"message {wamid} unreadable: {first_error(exc)}") from exc
    if message.type in SILENT_TYPES:
        log.info("%s: skipped a %r message %s", channel, message.type, message.id)
        return None
    if message.group_id is not None:
        # Aduan answers complaints privately; a group's chatter is not one citizen's complaint.
        log.info("%s: skipped group message %s", channel, message.id)
        return None
    sender = sender_address(message)
    if sender is None:
        raise LeftOut(f"message {message.id} has no phone number or user id")
    text, attachments, location = _content(message, media_url)
    readable = text.strip() or attachments or location
    key = sender.removeprefix("whatsapp:").lstrip("+")
    try:
        return InboundMessage(
            channel=channel,
            external_id=identifier(message.id, "messages.id"),
            sender=identifier(sender, "messages.from"),
            sender_name=names.get(key),
            text=clean_text(text),
            attachments=attachments,
            location=location,
            received_at=_time(message.timestamp),
            reply_to=message.context.id if message.context else None,
            unsupported=None if readable else _kind(message),
            raw=message.model_dump(mode="json", by_alias=True, exclude_none=True),
        )
    except InvalidRequest as exc:
        raise LeftOut(f"message {wamid}: {exc}") from exc
    except ValidationError as exc:
        raise LeftOut(f"message {wamid}: {first_error(exc)}") from exc


def _receipt(channel: str, raw: Any) -> DeliveryReceipt | None:
    try:
        status = Status.model_validate(raw)
    except ValidationError as exc:
        raise LeftOut(f"status unreadable: {first_error(exc)}") from exc
    state = STATES.get(status.status)
    if state is None:
        return None
    error = status.errors[0] if status.errors else None
    detail = None
    if error is not None:
        details = (error.error_data or {}).get("details")
        detail = "; ".join(filter(None, [error.title or error.message, details])) or None
    try:
        return DeliveryReceipt(
            channel=channel,
            external_id=identifier(status.id, "statuses.id"),
            state=state,
            error_code=str(error.code) if error else None,
            error_message=detail,
            unreachable=state == "failed" and error is not None and unreachable(error.code),
            received_at=_time(status.timestamp),
        )
    except InvalidRequest as exc:
        raise LeftOut(f"status: {exc}") from exc


def first_error(exc: ValidationError) -> str:
    """The first of pydantic's complaints, with where it is."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


def messages_of(channel: str, value: Value, media_url: Any) -> tuple[list[Parsed], list[str]]:
    """Every message and status of one change, in the order Meta listed them, and why each
    one that cannot be taken was left out (so that it never costs the others)."""
    names = _names(value)
    parsed: list[Parsed] = []
    left_out: list[str] = []
    for raw in value.messages:
        try:
            message = _message(channel, raw, names, media_url)
        except LeftOut as exc:
            left_out.append(str(exc))
        else:
            parsed.extend([message] if message else [])
    for raw in value.statuses:
        try:
            receipt = _receipt(channel, raw)
        except LeftOut as exc:
            left_out.append(str(exc))
        else:
            parsed.extend([receipt] if receipt else [])
    return parsed, left_out
