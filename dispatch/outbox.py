"""The outbox worker: sends what was committed, retries with backoff, keeps dead letters.

Rows are claimed with a short lease (and FOR UPDATE SKIP LOCKED on PostgreSQL), so several
workers can share one database without sending anything twice; the lease is renewed while the
send runs, so a killed worker's claims come free within seconds. Sends run side by side, a few
per destination at most: one OPD endpoint that never answers holds only its own share.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from channels.contract import SendError
from channels.masking import mask_text
from channels.message import SendResult
from dispatch.context import DispatchSettings
from storage.engine import transaction
from storage.models import Contact, Message, OutboxItem, OutboxStatus
from storage.outbox import destination_of, due_items, mark_sent, set_leases

log = logging.getLogger("aduan.outbox")

Sender = Callable[[dict[str, Any]], Awaitable[SendResult]]
# Told, in the transaction that makes it a dead letter, that an item of its kind was given up.
GivenUp = Callable[[Session, OutboxItem, SendError], None]


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
        recipient: str | None = None,
        given_up: Mapping[str, GivenUp] | None = None,
    ) -> None:
        """`recipient`: send only the messages to this address (one terminal's chat user).

        `given_up`: by item kind, what to record when such an item becomes a dead letter.
        """
        self.engine = engine
        self.given_up = dict(given_up or {})
        self.recipient = recipient
        self.senders = dict(senders)
        self.settings = settings
        self.clock = clock
        self._held: dict[int, str] = {}  # claimed and not yet settled: item id -> destination
        self._sending: set[asyncio.Task[None]] = set()
        self._settled = asyncio.Event()
        # Delivered, waiting to be recorded sent: recorded together, in one transaction.
        self._delivered: list[tuple[OutboxItem, SendResult, asyncio.Future[None]]] = []
        self._recording: asyncio.Task[None] | None = None

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.lease_seconds)

    def _claim(self, limit: int, busy: Mapping[str, int]) -> list[OutboxItem]:
        """Lease up to `limit` due items, none past its destination's share given `busy`."""
        now = self.clock()
        share = self.settings.per_destination
        full = [destination for destination, n in busy.items() if n >= share]
        with transaction(self.engine) as session:
            # Room to pass over a busy destination's backlog.
            due = due_items(session, now, list(self.senders), limit * 4, full, self.recipient)
            counts = Counter(busy)
            items: list[OutboxItem] = []
            for item in due:
                destination = destination_of(item)
                if len(items) == limit:
                    break
                if counts[destination] >= share:
                    continue
                counts[destination] += 1
                item.locked_until = now + self.lease
                session.add(item)
                items.append(item)
        return items

    async def _start_sends(self, limit: int) -> list[asyncio.Task[None]]:
        """Claim what the limits allow and start sending it; return the new sends."""
        room = min(limit, self.settings.concurrency - len(self._held))
        if room <= 0:
            return []
        items = await asyncio.to_thread(self._claim, room, Counter(self._held.values()))
        started = []
        for item in items:
            assert item.id is not None
            self._held[item.id] = destination_of(item)
            task = asyncio.create_task(self._send(item))
            self._sending.add(task)
            started.append(task)
        return started

    async def _send(self, item: OutboxItem) -> None:
        try:
            await self._deliver(item)
        except Exception:  # settling failed (database): the lease runs out, it is sent again
            log.exception("outbox %s: could not record the send", item.id)
        finally:
            self._held.pop(item.id or 0, None)
            self._sending.discard(asyncio.current_task())
            self._settled.set()

    async def run_once(self, limit: int = 50) -> int:
        """Send the due items the limits allow (up to `limit`); return how many were attempted."""
        renewing = asyncio.create_task(self._renew_leases())
        try:
            started = await self._start_sends(limit)
            await asyncio.gather(*started)
        finally:
            renewing.cancel()
        return len(started)

    async def run_forever(self, stop: asyncio.Event, idle_seconds: float = 0.5) -> None:
        renewing = asyncio.create_task(self._renew_leases())
        try:
            while not stop.is_set():
                self._settled.clear()
                try:
                    started = await self._start_sends(self.settings.concurrency)
                except Exception:  # a database hiccup must not kill the worker
                    log.exception("outbox pass failed; retrying")
                    started = []
                if not started:
                    await _first(stop.wait(), self._settled.wait(), timeout=idle_seconds)
        finally:
            renewing.cancel()
            await self._abandon()

    async def _renew_leases(self) -> None:
        """Keep the leases of the items being sent; a killed worker's run out in seconds."""
        while True:
            await asyncio.sleep(self.settings.lease_seconds / 3)
            if self._held:
                try:
                    await asyncio.to_thread(self._extend, list(self._held))
                except Exception:
                    log.exception("outbox leases not renewed; retrying")

    def _extend(self, item_ids: list[int]) -> None:
        with transaction(self.engine) as session:
            set_leases(session, item_ids, self.clock() + self.lease)

    async def _abandon(self) -> None:
        """On shutdown: stop the sends still running and free their items for the next start."""
        for task in list(self._sending):
            task.cancel()
        held = list(self._held)
        await asyncio.gather(*self._sending, return_exceptions=True)
        if held:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self._release, held)

    def _release(self, item_ids: list[int]) -> None:
        with transaction(self.engine) as session:
            set_leases(session, item_ids, None)

    async def _deliver(self, item: OutboxItem) -> None:
        payload = dict(item.payload)
        payload.setdefault("idempotency_key", item.idempotency_key)
        try:
            result = await asyncio.wait_for(
                self.senders[item.target](payload), self.settings.send_timeout_seconds
            )
        except SendError as exc:
            await asyncio.to_thread(self._failed, item.id, exc)
        except TimeoutError:
            timeout = self.settings.send_timeout_seconds
            error = SendError(f"no answer within {timeout:g} s", retryable=True)
            await asyncio.to_thread(self._failed, item.id, error)
        except Exception as exc:  # an adapter bug: keep the item and retry later
            log.exception("sender %s crashed on outbox item %s", item.target, item.id)
            await asyncio.to_thread(
                self._failed, item.id, SendError(f"{type(exc).__name__}: {exc}", retryable=True)
            )
        else:
            await self._record_sent(item, result)

    async def _record_sent(self, item: OutboxItem, result: SendResult) -> None:
        """Record `item` sent, in one commit with the others delivered meanwhile."""
        recorded = asyncio.get_running_loop().create_future()
        self._delivered.append((item, result, recorded))
        if self._recording is None or self._recording.done():
            self._recording = asyncio.create_task(self._record_delivered())
        await recorded

    async def _record_delivered(self) -> None:
        while self._delivered:
            batch, self._delivered = self._delivered, []
            try:
                await asyncio.to_thread(self._sent, [(item, result) for item, result, _ in batch])
            except Exception as exc:
                for *_, recorded in batch:
                    if not recorded.done():
                        recorded.set_exception(exc)
            else:
                for *_, recorded in batch:
                    if not recorded.done():
                        recorded.set_result(None)

    def _sent(self, delivered: list[tuple[OutboxItem, SendResult]]) -> None:
        now = self.clock()
        with transaction(self.engine) as session:
            for item, result in delivered:
                mark_sent(session, item.id, now, item.message_id, result.external_id or None)
        for item, _ in delivered:
            log.info("outbox %s sent (%s, %s)", item.id, item.kind, item.target)

    def _failed(self, item_id: int | None, error: SendError) -> None:
        with transaction(self.engine) as session:
            item = session.get(OutboxItem, item_id)
            assert item is not None
            item.attempts += 1
            item.last_error = mask_text(str(error))[:2000]  # provider text names numbers
            item.locked_until = None
            dead = not error.retryable or item.attempts >= self.settings.max_attempts
            if dead:
                item.status = OutboxStatus.dead
                _mark_failed(session, item, error)
                if item.kind in self.given_up:
                    self.given_up[item.kind](session, item, error)
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


async def _first(*waits: Awaitable[object], timeout: float) -> None:
    """Wait until one of `waits` is done, or `timeout` seconds."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


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
