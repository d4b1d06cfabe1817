"""The outbox worker: sends what was committed, retries with backoff, keeps dead letters.

Rows are claimed in batches with a short lease (and FOR UPDATE SKIP LOCKED on PostgreSQL), so
several workers can share one database without sending anything twice; the lease is renewed
while the send runs, so a killed worker's claims come free within seconds. On PostgreSQL each
claimed item is also held by an advisory lock on the worker's own connection
(`storage.outbox_holds`): no other worker takes an item still being sent, even one whose lease
ran out. Sends run side by side, a few per destination at most: one OPD endpoint that never
answers holds only its own share. Deliveries are recorded sent in batches.
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
from storage.outbox import Claimed, destination_of, due_items, mark_all_sent, set_leases
from storage.outbox_holds import SendHolds

log = logging.getLogger("aduan.outbox")

Sender = Callable[[dict[str, Any]], Awaitable[SendResult]]
# Told, in the transaction that makes it a dead letter, that an item of its kind was given up.
GivenUp = Callable[[Session, OutboxItem, SendError], None]
# After a few sends settle, wait this long for more before claiming again (one claim, not many).
GATHER_SECONDS = 0.005


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
        self._holds = SendHolds(engine)
        self._sending: set[asyncio.Task[None]] = set()
        self._settled = asyncio.Event()
        # Delivered, waiting to be recorded sent: recorded together, in one transaction.
        self._delivered: list[tuple[Claimed, SendResult, asyncio.Future[None]]] = []
        self._recording: asyncio.Task[None] | None = None

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.lease_seconds)

    def _claim(self, limit: int, busy: Mapping[str, int]) -> list[Claimed]:
        """Lease up to `limit` due items, none past its destination's share given `busy`.

        One SELECT, one UPDATE: the chosen rows are leased together (and held, on PostgreSQL).
        """
        share = self.settings.per_destination
        full = [destination for destination, n in busy.items() if n >= share]
        with transaction(self.engine) as session:
            now = self.clock()
            # Room to pass over a busy destination's backlog.
            due = due_items(session, now, list(self.senders), limit * 4, full, self.recipient)
            counts = Counter(busy)
            chosen: list[Claimed] = []
            for item in due:
                destination = destination_of(item)
                if len(chosen) == limit:
                    break
                if counts[destination] >= share or item.id in self._held:
                    continue
                counts[destination] += 1
                chosen.append(item)
            held = self._holds.take([item.id for item in chosen])
            items = [item for item in chosen if item.id in held]  # the rest: still being sent
            if items:
                set_leases(session, [item.id for item in items], now + self.lease)
        return items

    async def _start_sends(self, limit: int) -> list[asyncio.Task[None]]:
        """Claim what the limits allow and start sending it; return the new sends."""
        room = min(limit, self.settings.concurrency - len(self._held))
        if room <= 0:
            return []
        items = await asyncio.to_thread(self._claim, room, Counter(self._held.values()))
        started = []
        for item in items:
            self._held[item.id] = destination_of(item)
            task = asyncio.create_task(self._send(item))
            self._sending.add(task)
            started.append(task)
        return started

    async def _send(self, item: Claimed) -> None:
        try:
            await self._deliver(item)
        except Exception:  # settling failed (database): the lease runs out, it is sent again
            log.exception("outbox %s: could not record the send", item.id)
        finally:
            self._sending.discard(asyncio.current_task())
            await self._let_go([item.id])
            self._settled.set()

    async def _let_go(self, item_ids: list[int]) -> None:
        """Stop holding settled (or abandoned) items: the hold first, then the heartbeat."""
        if self._holds.enabled:
            try:
                await asyncio.to_thread(self._holds.release, item_ids)
            except Exception:  # the hold connection is gone, and its holds with it
                log.exception("outbox holds not released")
        for item_id in item_ids:
            self._held.pop(item_id, None)

    async def run_once(self, limit: int = 50) -> int:
        """Send the due items the limits allow (up to `limit`); return how many were attempted."""
        renewing = asyncio.create_task(self._renew_leases())
        try:
            started = await self._start_sends(limit)
            await asyncio.gather(*started)
        finally:
            renewing.cancel()
            self._holds.close()
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
                    if self._held and not stop.is_set():
                        await asyncio.sleep(GATHER_SECONDS)  # let more settle: claim them together
        finally:
            renewing.cancel()
            await self._abandon()
            self._holds.close()

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
            await self._let_go(held)

    def _release(self, item_ids: list[int]) -> None:
        with transaction(self.engine) as session:
            set_leases(session, item_ids, None)

    async def _deliver(self, item: Claimed) -> None:
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

    async def _record_sent(self, item: Claimed, result: SendResult) -> None:
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

    def _sent(self, delivered: list[tuple[Claimed, SendResult]]) -> None:
        rows = [
            (item.id, item.message_id, result.external_id or None) for item, result in delivered
        ]
        with transaction(self.engine) as session:
            mark_all_sent(session, rows, self.clock())
        if log.isEnabledFor(logging.INFO):  # one line per batch, not per item
            log.info(
                "outbox sent %s", ", ".join(f"{i.id} ({i.kind}, {i.target})" for i, _ in delivered)
            )

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
