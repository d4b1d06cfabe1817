"""The adapter contract: how a channel plugs into Aduan.

An adapter knows its wire format and nothing else. It never imports the web framework, the
database or the classifier. The core serves its routes and owns its lifecycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from channels.message import DeliveryReceipt, InboundMessage, OutboundMessage, SendResult


class ChannelError(Exception):
    """Base of every error an adapter raises."""


class Unauthenticated(ChannelError):
    """The request's signature or secret is missing or wrong (answer 403, store nothing)."""


class Ignore(ChannelError):
    """A valid request that carries nothing for us (answer 200, store nothing)."""


class InvalidRequest(ChannelError):
    """The request is malformed; the message says what is wrong (answer 400)."""


class TooLarge(InvalidRequest):
    """The request body is over the channel's limit of `limit` bytes (answer 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"body too large: at most {limit} bytes")
        self.limit = limit


class SendError(ChannelError):
    """Sending failed. `retryable` tells the outbox whether trying again can help."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        unreachable: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.unreachable = unreachable


@dataclass(frozen=True)
class RawRequest:
    """An HTTP request as the core received it, before any parsing."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None


@dataclass(frozen=True)
class RawResponse:
    """What the core answers to the provider after a successful parse."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain"


Parsed = InboundMessage | DeliveryReceipt


class ChannelConfig(BaseModel):
    """Base for an adapter's declared settings (a section of `channels:` in config.yaml)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True


@runtime_checkable
class Adapter(Protocol):
    """What every channel implements.

    `secrets` maps a Config field to the environment variable that supplies it; the core
    reads them, so a channel whose variable is unset is reported as off, not crashed.
    """

    name: ClassVar[str]
    Config: ClassVar[type[ChannelConfig]]
    # A dict, as every adapter declares it: a protocol's attributes are writable, so invariant.
    secrets: ClassVar[dict[str, str]]

    def __init__(self, config: Any) -> None: ...  # its own Config, validated by the registry

    def parse(self, request: RawRequest) -> list[Parsed]: ...

    def respond(self, request: RawRequest, parsed: list[Parsed]) -> RawResponse: ...

    async def send(self, message: OutboundMessage) -> SendResult: ...


@dataclass(frozen=True)
class Cursor:
    """Where a polling channel has got to; committed together with what it delivered."""

    key: str
    value: str


class Sink(Protocol):
    """What the core offers a polling channel."""

    async def load_cursor(self, key: str) -> str | None: ...

    async def deliver(self, parsed: list[Parsed], cursor: Cursor | None = None) -> None: ...


@runtime_checkable
class Poller(Protocol):
    """An adapter that fetches its own input (Telegram long polling, IMAP) instead of webhooks."""

    async def poll(self, sink: Sink, stop: asyncio.Event) -> None: ...


@runtime_checkable
class MediaSource(Protocol):
    """An adapter that can fetch the attachments it received (with its credentials).

    `url` is an attachment's URL as the adapter put it in an `InboundMessage`; anything else is
    refused with `MediaRefused`. Returns the bytes and the type the provider declares.
    """

    async def fetch_media(self, url: str) -> tuple[bytes, str]: ...
