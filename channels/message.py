"""The common format: what every channel turns its wire format into, and back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_TEXT_CHARS = 10_000
MAX_RAW_CHARS = 64_000
MAX_ID_CHARS = 200  # a provider's id or address; room is left for the prefixes Aduan adds
MAX_NAME_CHARS = 255


def utcnow() -> datetime:
    return datetime.now(UTC)


def without_nul(value: Any) -> Any:
    """`value` with NUL characters removed from every string in it (PostgreSQL stores none)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_nul(item) for item in value]
    return value


class _Stored(BaseModel):
    """A message about to be stored: no string in it carries a NUL, whichever channel made it."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _strip_nul(cls, data: Any) -> Any:
        return without_nul(data) if isinstance(data, dict) else data


class Attachment(_Stored):
    """A photo or file: a URL the adapter can fetch, or a stored file path."""

    url: str
    content_type: str = "application/octet-stream"
    size: int | None = None
    name: str | None = None


class Location(_Stored):
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    address: str | None = None


class InboundMessage(_Stored):
    """One message from a citizen or staff member, as any channel delivers it.

    `sender` is a URN-like address: `tel:+62812…`, `whatsapp:+62812…`, `telegram:123456`,
    `mailto:warga@example.id`, `web:…`, `console:…`.
    """

    channel: str
    external_id: str = Field(min_length=1, max_length=255)
    sender: str = Field(min_length=1, max_length=255)
    sender_name: str | None = None
    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    subject: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    location: Location | None = None
    language: str | None = None
    received_at: datetime = Field(default_factory=utcnow)
    reply_to: str | None = Field(default=None, description="external id of the message answered")
    conversation: str | None = Field(
        default=None, description="where answers go when not to the sender, e.g. a group chat"
    )
    raw: dict[str, Any] | None = Field(default=None, description="provider payload, for audit")
    unsupported: str | None = Field(
        default=None,
        max_length=64,
        description="the kind of content the channel could not read (a poll, a sticker) when "
        "the message carries nothing else: the sender is told what Aduan can read",
    )
    category: str | None = Field(
        default=None,
        max_length=64,
        description="the category the sender chose (an Open311 service_code): filed under it",
    )
    provider_answered: bool = Field(
        default=False,
        description="the provider has answered it itself (Twilio's STOP/START/HELP): we do not",
    )

    @field_validator("sender_name")
    @classmethod
    def _name_fits(cls, value: str | None) -> str | None:
        return value[:MAX_NAME_CHARS] if value else value


class Button(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    payload: str


class OutboundMessage(BaseModel):
    """One message Aduan sends on a channel. Adapters degrade what they cannot show to text."""

    model_config = ConfigDict(extra="forbid")

    channel: str
    recipient: str
    text: str
    attachments: list[Attachment] = Field(default_factory=list)
    buttons: list[Button] = Field(default_factory=list)
    location: Location | None = None
    complaint_code: str | None = None
    reply_to: str | None = None
    idempotency_key: str
    last_inbound_at: datetime | None = Field(
        default=None, description="when the recipient last wrote to us (WhatsApp's 24-hour window)"
    )


DeliveryState = Literal["queued", "sent", "delivered", "read", "failed"]


class DeliveryReceipt(_Stored):
    """A provider's report on a message we sent earlier."""

    channel: str
    external_id: str
    state: DeliveryState
    error_code: str | None = None
    error_message: str | None = None
    unreachable: bool = Field(
        default=False,
        description="the failure is permanent: the contact cannot be reached at this address "
        "(each adapter decides from its provider's error codes)",
    )
    received_at: datetime = Field(default_factory=utcnow)


class SendResult(BaseModel):
    """What a successful send returns: the provider's id for the message, if any."""

    model_config = ConfigDict(extra="forbid")

    external_id: str | None = None


def numbered(text: str, buttons: list[Button]) -> str:
    """Buttons as a numbered list under the text, for channels that cannot show buttons."""
    if not buttons:
        return text
    lines = [f"{index}. {button.label}" for index, button in enumerate(buttons, start=1)]
    return "\n".join([text, *lines])
