"""The outbox worker: sends what was committed, retries with backoff, keeps dead letters.

Rows are claimed with a short lease (and FOR UPDATE SKIP LOCKED on PostgreSQL), so several
workers can share one database without sending anything twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from channels.contract import SendError
from channels.message import SendResult
from dispatch.context import DispatchSettings
from storage.engine import transaction
from storage.models import Contact, Message, OutboxItem, OutboxStatus

log = logging.getLogger("aduan.outbox")

Sender = Callable[[dict[str, Any]], Awaitable[SendResult]]
LEASE = timedelta(seconds=120)

# Every acknowledgement passes here once: plain UPDATEs cost a fraction of loading both rows.
MARK_SENT = (
    update(OutboxItem.__table__)  # type: ignore[attr-defined]
    .where(OutboxItem.id == bindparam("item_id"))
    .values(
        status=OutboxStatus.sent,
        attempts=OutboxItem.attempts + 1,
        sent_at=bindparam("sent_at"),
        locked_until=None,
        last_error=None,
    )
)
MESSAGE_SENT = (
    update(Message.__table__)  # type: ignore[attr-defined]
    .where(Message.id == bindparam("message_id"))
    .values(
        external_id=func.coalesce(bindparam("external_id"), Message.external_id),
        delivery_state="sent",
    )
)


def backoff_delay(attempts: int, settings: DispatchSettings) -> float:
    """Seconds to wait after the `attempts`-th failure: exponential, capped, with jitter."""
    base = settings.backoff_base_seconds * 2 ** max(0, attempts - 1)
    return min(settings.backoff_max_seconds, base) * random.uniform(0.9, 1.1)


class OutboxWorker:
    def __init__(
        self,
        engine: Engine,
        senders: Mapping[str, Sender],
        settings: DispatchSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.senders = dict(senders)
        self.settings = settings
        self.clock = clock

    def _claim(self, limit: int) -> list[OutboxItem]:
        now = self.clock()
        with transaction(self.engine) as session:
            query = (
                select(OutboxItem)
                .where(OutboxItem.status == OutboxStatus.pending)
                .where(OutboxItem.next_attempt_at <= now)
                .where(or_(OutboxItem.locked_until.is_(None), OutboxItem.locked_until < now))
                .where(OutboxItem.target.in_(list(self.senders)))
                .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            items = list(session.exec(query))
            for item in items:
                item.locked_until = now + LEASE
                session.add(item)
        return items

    async def run_once(self, limit: int = 50) -> int:
        """Send every due item (up to `limit`); return how many were attempted."""
        items = await asyncio.to_thread(self._claim, limit)
        for item in items:
            await self._deliver(item)
        return len(items)

    async def run_forever(self, stop: asyncio.Event, idle_seconds: float = 0.5) -> None:
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:  # a database hiccup must not kill the worker
                log.exception("outbox pass failed; retrying")
                done = 0
            if not done:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), idle_seconds)

    async def _deliver(self, item: OutboxItem) -> None:
        payload = dict(item.payload)
        payload.setdefault("idempotency_key", item.idempotency_key)
        try:
            result = await self.senders[item.target](payload)
        except SendError as exc:
            await asyncio.to_thread(self._failed, item.id, exc)
        except Exception as exc:  # an adapter bug: keep the item and retry later
            log.exception("sender %s crashed on outbox item %s", item.target, item.id)
            await asyncio.to_thread(
                self._failed, item.id, SendError(f"{type(exc).__name__}: {exc}", retryable=True)
            )
        else:
            await asyncio.to_thread(self._sent, item, result)

    def _sent(self, item: OutboxItem, result: SendResult) -> None:
        with transaction(self.engine) as session:
            connection = session.connection()
            connection.execute(MARK_SENT, {"item_id": item.id, "sent_at": self.clock()})
            if item.message_id:
                connection.execute(
                    MESSAGE_SENT,
                    {"message_id": item.message_id, "external_id": result.external_id or None},
                )
        log.info("outbox %s sent (%s, %s)", item.id, item.kind, item.target)

    def _failed(self, item_id: int | None, error: SendError) -> None:
        with transaction(self.engine) as session:
            item = session.get(OutboxItem, item_id)
            assert item is not None
            item.attempts += 1
            item.last_error = str(error)[:2000]
            item.locked_until = None
            dead = not error.retryable or item.attempts >= self.settings.max_attempts
            if dead:
                item.status = OutboxStatus.dead
                _mark_failed(session, item, error)
            else:
                delay = error.retry_after or backoff_delay(item.attempts, self.settings)
                item.next_attempt_at = self.clock() + timedelta(seconds=delay)
            session.add(item)
        level = logging.WARNING if dead else logging.INFO
        log.log(
            level,
            "outbox %s attempt %s failed (%s): %s",
            item_id,
            item.attempts,
            "dead letter" if dead else "will retry",
            error,
        )


def _mark_failed(session: Session, item: OutboxItem, error: SendError) -> None:
    if not item.message_id:
        return
    message = session.get(Message, item.message_id)
    if message is None:
        return
    message.delivery_state = "failed"
    message.delivery_error = str(error)[:2000]
    if error.unreachable and message.contact_id:
        contact = session.get(Contact, message.contact_id)
        if contact is not None:
            contact.unreachable = True


def retry_dead(engine: Engine, item_id: int, now: datetime | None = None) -> OutboxItem:
    """Put a dead letter back in the queue for another full round of attempts."""
    with transaction(engine) as session:
        item = session.get(OutboxItem, item_id)
        if item is None:
            raise LookupError(f"no outbox item {item_id}")
        if item.status != OutboxStatus.dead:
            raise ValueError(f"outbox item {item_id} is {item.status}, not dead")
        item.status = OutboxStatus.pending
        item.attempts = 0
        item.next_attempt_at = now or datetime.now(UTC)
        item.locked_until = None
        session.add(item)
        return item
