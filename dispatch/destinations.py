"""Where an OPD receives complaints: a signed JSON webhook, an email address, or a chat.

An OPD with one office per kecamatan (e.g. KECAMATAN in Kabupaten Bandung) gives each office's
destinations their `kecamatan`: a complaint goes to the office of the kecamatan it names, and
one whose kecamatan is unknown (or has no office listed) to the OPD's destinations without a
`kecamatan` — its general desk — or, when it has none, to every office.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class WebhookDestination(BaseModel):
    """JSON POST with an HMAC-SHA256 signature and an Idempotency-Key header."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["webhook"]
    url: HttpUrl
    secret_env: str = Field(description="environment variable holding the signing secret")
    timeout_seconds: float = 10.0
    kecamatan: str | None = Field(
        default=None, description="only complaints from this kecamatan (one office per kecamatan)"
    )


class EmailDestination(BaseModel):
    """A mailbox; sent through the SMTP server given by ADUAN_SMTP_* variables."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["email"]
    address: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    kecamatan: str | None = Field(
        default=None, description="only complaints from this kecamatan (one office per kecamatan)"
    )


class ChatDestination(BaseModel):
    """A chat on one of Aduan's channels, e.g. the OPD's Telegram group (`telegram:-100123`)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["chat"]
    channel: str
    address: str = Field(description="the chat's address on that channel")
    kecamatan: str | None = Field(
        default=None, description="only complaints from this kecamatan (one office per kecamatan)"
    )


Destination = Annotated[
    WebhookDestination | EmailDestination | ChatDestination, Field(discriminator="kind")
]


# The outbox target of each kind sent by Aduan itself; chat destinations travel on their channel.
# OPD email goes out through ADUAN_SMTP_HOST as "smtp": "email" is the email channel's target.
OUTBOX_TARGETS = {"webhook": "webhook", "email": "smtp"}


def outbox_target(kind: str) -> str:
    """The outbox target whose sender delivers to a webhook or email destination."""
    return OUTBOX_TARGETS[kind]


def for_kecamatan(destinations: Sequence[Destination], kecamatan: str | None) -> list[Destination]:
    """The destinations that receive a complaint from `kecamatan` (see the module's docstring)."""
    if not any(d.kecamatan for d in destinations):
        return list(destinations)
    wanted = _key(kecamatan)
    office = [d for d in destinations if d.kecamatan and _key(d.kecamatan) == wanted]
    return office or [d for d in destinations if not d.kecamatan] or list(destinations)


def _key(name: str | None) -> str:
    return "".join((name or "").lower().split())
