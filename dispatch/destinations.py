"""Where an OPD receives complaints: a signed JSON webhook, or an email address."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class WebhookDestination(BaseModel):
    """JSON POST with an HMAC-SHA256 signature and an Idempotency-Key header."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["webhook"]
    url: HttpUrl
    secret_env: str = Field(description="environment variable holding the signing secret")
    timeout_seconds: float = 10.0


class EmailDestination(BaseModel):
    """A mailbox; sent through the SMTP server given by ADUAN_SMTP_* variables."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["email"]
    address: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ChatDestination(BaseModel):
    """A chat on one of Aduan's channels, e.g. the OPD's Telegram group (`telegram:-100123`)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["chat"]
    channel: str
    address: str = Field(description="the chat's address on that channel")


Destination = Annotated[
    WebhookDestination | EmailDestination | ChatDestination, Field(discriminator="kind")
]
