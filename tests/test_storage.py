"""Schema and outbox guarantees on both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

from aduan.runtime import build_runtime
from channels.message import InboundMessage
from channels.message import SendResult as Sent
from dispatch.outbox import OutboxWorker
from storage.engine import make_engine, transaction
from storage.migrate import upgrade
from storage.models import OutboxItem
from tests.support.deployment import write_config


def test_migrations_create_exactly_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)  # idempotent
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []
    engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_two_workers_sharing_a_database_send_each_item_once(
    tmp_path: Path, database_url: str
) -> None:
    runtime = build_runtime(write_config(tmp_path / "config.yaml"), database_url, migrate=True)
    for n in range(30):
        runtime.pipeline.handle(
            InboundMessage(
                channel="web",
                external_id=f"w{n}",
                sender=f"web:warga-{n}",
                text=f"Sampah menumpuk di TPS blok {n} sudah seminggu belum diangkut",
            )
        )
    sent: list[str] = []

    async def record(payload: dict) -> Sent:
        sent.append(payload["idempotency_key"])
        await asyncio.sleep(0.01)  # a slow provider: the other worker must not take this item
        return Sent()

    async def both() -> None:
        workers = [
            OutboxWorker(runtime.engine, {"web": record}, runtime.ctx.settings) for _ in range(2)
        ]
        while sum(await asyncio.gather(*(w.run_once(limit=7) for w in workers))):
            pass

    asyncio.run(both())
    assert len(sent) == 30 and len(set(sent)) == 30
    with transaction(runtime.engine) as session:
        statuses = {
            i.status for i in session.exec(select(OutboxItem).where(OutboxItem.target == "web"))
        }
    assert statuses == {"sent"}
    runtime.engine.dispose()


def test_upgrading_moves_waiting_opd_email_to_the_smtp_target(database_url: str) -> None:
    """OPD email queued (or dead) under the old target "email" is sent by the SMTP sender after
    the upgrade; the email channel's messages and what was already sent stay as they were."""
    engine = make_engine(database_url)
    upgrade(engine, "c9e2f4a7d1b8")
    rows = {
        "pending": OutboxItem(kind="dispatch", target="email", idempotency_key="a"),
        "dead": OutboxItem(kind="dispatch", target="email", idempotency_key="b", status="dead"),
        "sent": OutboxItem(kind="dispatch", target="email", idempotency_key="c", status="sent"),
        "citizen": OutboxItem(kind="message", target="email", idempotency_key="d"),
        "webhook": OutboxItem(kind="dispatch", target="webhook", idempotency_key="e"),
    }
    with transaction(engine) as session:
        session.add_all(rows.values())
    upgrade(engine)
    with transaction(engine) as session:
        targets = {i.idempotency_key: i.target for i in session.exec(select(OutboxItem))}
    assert targets == {"a": "smtp", "b": "smtp", "c": "email", "d": "email", "e": "webhook"}
    engine.dispose()
