"""Where channels hand over what they parsed: messages to the pipeline, receipts to storage."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.engine import Engine
from sqlmodel import Session

from aduan.complaints.pipeline import Outcome, Pipeline
from channels.contract import Cursor, Parsed
from channels.message import DeliveryReceipt, InboundMessage
from storage.cursors import load_cursor, save_cursor
from storage.engine import transaction
from storage.messages import outbound_by_provider_id
from storage.models import Contact

log = logging.getLogger("aduan.complaints.receipts")


def apply_receipt(session: Session, receipt: DeliveryReceipt) -> bool:
    """Record a provider's delivery report on the message it concerns; False if unknown."""
    message = outbound_by_provider_id(session, receipt.channel, receipt.external_id)
    if message is None:
        log.info("receipt for unknown message %s/%s", receipt.channel, receipt.external_id)
        return False
    order = ["queued", "sent", "delivered", "read"]
    current = message.delivery_state or "queued"
    # Receipts arrive out of order; never move a message backwards (except to failed).
    if (
        receipt.state == "failed"
        or current not in order
        or (receipt.state in order and order.index(receipt.state) >= order.index(current))
    ):
        message.delivery_state = receipt.state
    if receipt.state == "failed":
        message.delivery_error = " ".join(
            filter(None, [receipt.error_code, receipt.error_message])
        )[:2000]
        if receipt.unreachable and message.contact_id:
            contact = session.get(Contact, message.contact_id)
            if contact is not None:
                contact.unreachable = True
                session.add(contact)
    session.add(message)
    return True


class Intake:
    """The core's side of every channel: webhooks call `accept`, pollers use it as their sink."""

    def __init__(self, engine: Engine, pipeline: Pipeline, channel: str) -> None:
        self.engine = engine
        self.pipeline = pipeline
        self.channel = channel

    def accept(self, parsed: list[Parsed], cursor: Cursor | None = None) -> list[Outcome]:
        outcomes = []
        last = len(parsed) - 1
        for index, item in enumerate(parsed):
            with_cursor = cursor if index == last else None
            if isinstance(item, InboundMessage):
                outcomes.append(self.pipeline.handle(item, with_cursor))
            else:
                with transaction(self.engine) as session:
                    apply_receipt(session, item)
                    if with_cursor is not None:
                        save_cursor(session, self.channel, with_cursor)
        if not parsed and cursor is not None:
            with transaction(self.engine) as session:
                save_cursor(session, self.channel, cursor)
        return outcomes

    async def load_cursor(self, key: str) -> str | None:
        def load() -> str | None:
            with transaction(self.engine) as session:
                return load_cursor(session, self.channel, key)

        return await asyncio.to_thread(load)

    async def deliver(self, parsed: list[Parsed], cursor: Cursor | None = None) -> None:
        await asyncio.to_thread(self.accept, parsed, cursor)
