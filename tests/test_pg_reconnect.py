"""PostgreSQL without a ping per transaction: a lost connection is replaced, no message is lost.

The server's backends are killed (`pg_terminate_backend`, as a restart or a failover does) while
the pool holds their connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import event, func
from sqlmodel import select

import storage.engine as engine_module
from aduan.complaints.pipeline import Outcome
from aduan.runtime import Runtime, build_runtime
from channels.message import InboundMessage
from storage.engine import transaction
from storage.models import Complaint
from tests.support import postgres
from tests.support.deployment import write_config

ROAD = "Jalan berlubang besar di depan pasar Cicalengka, motor sering jatuh"
TRASH = "Sampah menumpuk di gang Mawar sudah seminggu, bau sekali"


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    reason = postgres.ensure_running()
    if reason:
        pytest.fail(reason)
    url = postgres.create_database()
    runtime = build_runtime(write_config(tmp_path / "config.yaml"), url, migrate=True)
    yield runtime
    runtime.pipeline.close()
    runtime.engine.dispose()
    postgres.drop_database(url)


def kill_backends(runtime: Runtime) -> int:
    """Terminate every server process serving the runtime's database; how many there were."""
    name = runtime.engine.url.database
    with psycopg.connect(postgres.ADMIN_DSN, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return len(rows)


def message(key: str, text: str) -> InboundMessage:
    return InboundMessage(channel="web", external_id=key, sender=f"web:anon-{key}", text=text)


def complaints(runtime: Runtime) -> int:
    with transaction(runtime.engine) as session:
        return session.exec(select(func.count()).select_from(Complaint)).one()


def test_no_round_trip_is_spent_on_a_ping_per_transaction(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    dialect = type(runtime.engine.dialect)
    ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda self, c: pings.append(c) or ping(self, c))
    statements: list[str] = []
    runtime.pipeline.handle(message("p0", ROAD))  # the pool holds a used connection now
    event.listen(runtime.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for _ in range(3):
        with transaction(runtime.engine) as session:
            session.exec(select(func.count()).select_from(Complaint)).one()
    assert pings == []
    assert len(statements) == 3


def test_a_batch_whose_connection_was_killed_is_handled_again(runtime: Runtime) -> None:
    assert runtime.pipeline.handle(message("k0", ROAD)).kind == "complaint"
    assert kill_backends(runtime) >= 1  # the pooled connection is dead; nothing pings it

    async def submit_both() -> list[Outcome]:
        return list(
            await asyncio.gather(
                runtime.pipeline.submit(message("k1", TRASH)),
                runtime.pipeline.submit(message("k2", "Lampu jalan mati di Jl. Sudirman")),
            )
        )

    outcomes = asyncio.run(submit_both())
    assert [o.kind for o in outcomes] == ["complaint", "complaint"]
    assert complaints(runtime) == 3
    assert kill_backends(runtime) >= 1
    assert runtime.pipeline.handle(message("k3", "Banjir di Jl. Merdeka")).kind == "complaint"
    assert complaints(runtime) == 4


def test_a_connection_killed_while_idle_is_replaced_before_use(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)  # every checkout counts idle
    assert complaints(runtime) == 0
    assert kill_backends(runtime) >= 1
    # Any transaction, not only the pipeline's: the pool swaps the dead connection itself.
    assert complaints(runtime) == 0
