"""Queries on the outbox: queueing work, claiming due items with a lease, settling sends.

The statements on the hot path (a row queued with every acknowledgement, a row settled with
every send) are plain Core statements built once: constructing them costs more than running
them, and loading ORM rows to change two columns costs more still.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, case, func, insert, or_, update
from sqlalchemy import select as select_columns
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.engine import transaction
from storage.models import Message, OutboxItem, OutboxStatus

# SQLModel does not declare the `__table__` that SQLAlchemy gives every table class.
OUTBOX: Table = OutboxItem.__table__  # type: ignore[attr-defined]
MESSAGES: Table = Message.__table__  # type: ignore[attr-defined]

INSERT_OUTBOX = insert(OUTBOX)

# What a send waits on: the channel for a message, the OPD's endpoint for a dispatch.
DESTINATION = case(
    (
        col(OutboxItem.kind) == "dispatch",
        col(OutboxItem.target)
        + ":"
        + func.coalesce(
            col(OutboxItem.payload)[("destination", "url")].as_string(),
            col(OutboxItem.payload)[("destination", "address")].as_string(),
            "",
        ),
    ),
    else_=col(OutboxItem.target),
)

CLAIMED_COLUMNS = (
    col(OutboxItem.id),
    col(OutboxItem.kind),
    col(OutboxItem.target),
    col(OutboxItem.payload),
    col(OutboxItem.idempotency_key),
    col(OutboxItem.message_id),
)

MARK_SENT = (
    update(OUTBOX)
    .where(col(OutboxItem.id) == bindparam("item_id"))
    .where(col(OutboxItem.status) == OutboxStatus.pending)
    .values(
        status=OutboxStatus.sent,
        attempts=col(OutboxItem.attempts) + 1,
        sent_at=bindparam("sent_at"),
        locked_until=None,
        last_error=None,
    )
)
MESSAGE_SENT = (
    update(MESSAGES)
    .where(col(Message.id) == bindparam("message_id"))
    .values(
        external_id=func.coalesce(bindparam("external_id"), col(Message.external_id)),
        delivery_state="sent",
    )
)


@dataclass(frozen=True, slots=True)
class Claimed:
    """What a send needs of a leased outbox row (read without building an ORM object)."""

    id: int
    kind: str
    target: str
    payload: dict[str, Any]
    idempotency_key: str
    message_id: int | None


def destination_of(item: OutboxItem | Claimed) -> str:
    """`DESTINATION` of one loaded item."""
    if item.kind != "dispatch":
        return item.target
    where = item.payload.get("destination") or {}
    return f"{item.target}:{where.get('url') or where.get('address') or ''}"


def insert_item(session: Session, **values: Any) -> int:
    """Insert one outbox row on the session's connection (a repeated key fails here); its id."""
    key = session.connection().execute(INSERT_OUTBOX, values).inserted_primary_key
    assert key is not None  # an INSERT of one row always has one
    return int(key[0])


def due_items(
    session: Session,
    now: datetime,
    targets: Collection[str],
    limit: int,
    skip_destinations: Collection[str] = (),
    recipient: str | None = None,
) -> list[Claimed]:
    """Pending items due at `now` and not leased, oldest first, locked for the caller.

    Only items for `targets` (and messages to `recipient`, when given), none waiting on one of
    `skip_destinations`; rows another worker holds locked are passed over (FOR UPDATE SKIP
    LOCKED on PostgreSQL). One Core statement: no ORM object per row.
    """
    query = (
        select_columns(*CLAIMED_COLUMNS)
        .where(col(OutboxItem.status) == OutboxStatus.pending)
        .where(col(OutboxItem.next_attempt_at) <= now)
        .where(or_(col(OutboxItem.locked_until).is_(None), col(OutboxItem.locked_until) < now))
        .where(col(OutboxItem.target).in_(list(targets)))
        .order_by(col(OutboxItem.next_attempt_at), col(OutboxItem.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if skip_destinations:
        query = query.where(DESTINATION.not_in(list(skip_destinations)))
    if recipient is not None:
        query = query.where(col(OutboxItem.payload)["recipient"].as_string() == recipient)
    return [Claimed(*row) for row in session.connection().execute(query)]


def set_leases(session: Session, item_ids: Collection[int], until: datetime | None) -> None:
    """Lease the still-pending items `item_ids` until `until` (None: free them now)."""
    session.connection().execute(
        update(OUTBOX)
        .where(col(OutboxItem.id).in_(list(item_ids)))
        .where(col(OutboxItem.status) == OutboxStatus.pending)
        .values(locked_until=until)
    )


def mark_sent(
    session: Session,
    item_id: int | None,
    sent_at: datetime,
    message_id: int | None = None,
    external_id: str | None = None,
) -> None:
    """Settle a delivered item, and its stored message (with the provider's id, if any)."""
    mark_all_sent(session, [(item_id, message_id, external_id)], sent_at)


def mark_all_sent(
    session: Session,
    delivered: Sequence[tuple[int | None, int | None, str | None]],
    sent_at: datetime,
) -> None:
    """Settle delivered items, given as (item id, message id, provider's id), in two
    executemany statements: the items, then the stored messages of those that have one."""
    if not delivered:
        return
    connection = session.connection()
    connection.execute(MARK_SENT, [{"item_id": item, "sent_at": sent_at} for item, *_ in delivered])
    messages = [
        {"message_id": message, "external_id": external}
        for _, message, external in delivered
        if message
    ]
    if messages:
        connection.execute(MESSAGE_SENT, messages)


# A complaint's dispatch: its webhook and email items, and its posts in OPD chats.
_DISPATCH = or_(
    col(OutboxItem.kind) == "dispatch", col(OutboxItem.idempotency_key).startswith("dispatch:")
)


def hold_dispatch(session: Session, complaint_id: int, until: datetime) -> None:
    """Let the complaint's pending dispatch wait until `until` (its media are being fetched)."""
    session.connection().execute(
        update(OUTBOX)
        .where(col(OutboxItem.complaint_id) == complaint_id)
        .where(_DISPATCH)
        .where(col(OutboxItem.status) == OutboxStatus.pending)
        .values(next_attempt_at=until)
    )


def release_dispatch(session: Session, complaint_id: int, now: datetime, settled: str) -> None:
    """Send the complaint's held dispatch now, once none of its media are still pending but
    the one being `settled` (by its key) in this transaction."""
    waiting = session.exec(
        select(func.count())
        .select_from(OutboxItem)
        .where(col(OutboxItem.complaint_id) == complaint_id)
        .where(col(OutboxItem.kind) == "media")
        .where(col(OutboxItem.status) == OutboxStatus.pending)
        .where(col(OutboxItem.idempotency_key) != settled)
    ).one()
    if waiting:
        return
    session.connection().execute(
        update(OUTBOX)
        .where(col(OutboxItem.complaint_id) == complaint_id)
        .where(_DISPATCH)
        .where(col(OutboxItem.status) == OutboxStatus.pending)
        .where(col(OutboxItem.attempts) == 0)
        .where(col(OutboxItem.next_attempt_at) > now)
        .values(next_attempt_at=now)
    )


def pending_dispatches(session: Session, complaint_id: int) -> list[OutboxItem]:
    """The complaint's dispatch items and chat posts not yet sent (they may still change)."""
    query = (
        select(OutboxItem)
        .where(col(OutboxItem.complaint_id) == complaint_id)
        .where(_DISPATCH)
        .where(col(OutboxItem.status) == OutboxStatus.pending)
    )
    return list(session.exec(query).all())


def items_with_status(session: Session, status: OutboxStatus, limit: int) -> Sequence[OutboxItem]:
    """The oldest `limit` items in `status` (pending, or the dead letters)."""
    return session.exec(
        select(OutboxItem)
        .where(col(OutboxItem.status) == status)
        .order_by(col(OutboxItem.id))
        .limit(limit)
    ).all()


def outbox_waiting(engine: Engine) -> tuple[int, int]:
    """Pending outbox items, and dead letters, now."""
    query = (
        select(col(OutboxItem.status), func.count())
        .where(col(OutboxItem.status).in_([OutboxStatus.pending, OutboxStatus.dead]))
        .group_by(OutboxItem.status)
    )
    with transaction(engine) as session:
        counts = dict(session.connection().execute(query).tuples().all())
    return counts.get(OutboxStatus.pending, 0), counts.get(OutboxStatus.dead, 0)
