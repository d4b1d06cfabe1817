"""The `console` channel: chat with the bot in a terminal, no credentials needed."""

from __future__ import annotations

import sys
import uuid
from typing import ClassVar, TextIO

from channels.contract import ChannelConfig, InvalidRequest, Parsed, RawRequest, RawResponse
from channels.message import InboundMessage, OutboundMessage, SendResult, numbered


class ConsoleConfig(ChannelConfig):
    pass


class ConsoleAdapter:
    """A person at a terminal is the citizen; bot answers are printed."""

    name: ClassVar[str] = "console"
    Config: ClassVar[type[ChannelConfig]] = ConsoleConfig
    secrets: ClassVar[dict[str, str]] = {}

    def __init__(self, config: ConsoleConfig, out: TextIO | None = None) -> None:
        self.config = config
        self.out = out or sys.stdout

    @classmethod
    def address(cls, user: str) -> str:
        """The contact address of the person called `user` at a terminal."""
        return f"{cls.name}:{user}"

    def message_from_line(self, user: str, line: str) -> InboundMessage:
        return InboundMessage(
            channel=self.name,
            external_id=uuid.uuid4().hex,
            sender=self.address(user),
            sender_name=user,
            text=line.strip(),
        )

    def parse(self, request: RawRequest) -> list[Parsed]:
        raise InvalidRequest("the console channel has no HTTP endpoint")

    def respond(self, request: RawRequest, parsed: list[Parsed]) -> RawResponse:
        return RawResponse()

    async def send(self, message: OutboundMessage) -> SendResult:
        # A terminal shows no buttons: numbered choices, answered with the number.
        self.out.write(f"\n[Aduan] {numbered(message.text, message.buttons)}\n")
        self.out.flush()
        return SendResult(external_id=message.idempotency_key)
