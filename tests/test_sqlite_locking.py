"""SQLite's single writer: lookups never wait for it, a stuck one is a 503, never a hang."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from aduan.api.app import create_app
from aduan.runtime import build_runtime
from channels.registry import build_adapters
from storage import engine as storage_engine
from storage.engine import make_engine, reading, transaction
from storage.migrate import upgrade
from storage.models import ChannelCursor
from tests.support.deployment import write_config
from tests.support.web_clients import key_headers


@pytest.fixture
def client(tmp_path: Path, sqlite_url: str) -> Iterator[TestClient]:
    runtime = build_runtime(write_config(tmp_path / "config.yaml"), sqlite_url, migrate=True)
    adapters, _ = build_adapters(runtime.config.channels, env={})
    with TestClient(create_app(runtime, adapters)) as test_client:
        test_client.runtime = runtime  # type: ignore[attr-defined]
        yield test_client


def _stuck_writer(engine: object, release: threading.Event) -> threading.Thread:
    """A transaction that has written and then hangs until `release` is set."""
    started = threading.Event()

    def hold() -> None:
        with transaction(engine) as session:  # type: ignore[arg-type]
            session.add(ChannelCursor(channel="test", key="stuck", value="1"))
            session.flush()
            started.set()
            release.wait(30)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert started.wait(10)
    return thread


def test_stuck_writer_gives_503_with_retry_after_while_lookups_still_answer(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = client.runtime  # type: ignore[attr-defined]
    portal = key_headers(runtime.engine)
    filed = client.post(
        "/api/v1/web/messages",
        json={"text": "Sampah menumpuk di TPS pasar baru sudah seminggu", "sender": "warga-1"},
        headers=portal,
    )
    code = filed.json()["code"]
    monkeypatch.setattr(storage_engine, "WRITER_TIMEOUT", 0.5)
    release = threading.Event()
    writer = _stuck_writer(runtime.engine, release)
    try:
        started = time.monotonic()
        lookup = client.get(f"/api/v1/web/complaints/{code}")
        assert lookup.status_code == 200 and time.monotonic() - started < 0.5

        started = time.monotonic()
        busy = client.post(
            "/api/v1/web/messages",
            json={"text": "Lampu jalan mati di Jl. Asia Afrika", "sender": "warga-2"},
            headers=portal,
        )
        assert busy.status_code == 503, busy.text
        assert busy.headers["Retry-After"].isdigit()
        assert time.monotonic() - started < 5
    finally:
        release.set()
        writer.join(10)
    again = client.post(
        "/api/v1/web/messages",
        json={"text": "Lampu jalan mati di Jl. Asia Afrika", "sender": "warga-2"},
        headers=portal,
    )
    assert again.status_code == 201, again.text


def test_a_lookup_that_has_to_write_waits_for_the_writer_and_commits(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    release = threading.Event()
    writer = _stuck_writer(engine, release)
    threading.Timer(0.3, release.set).start()
    with reading(engine) as session:
        assert session.exec(select(ChannelCursor)).all() == []  # the writer's row is not committed
        session.add(ChannelCursor(channel="test", key="audit", value="2"))
    writer.join(10)
    with reading(engine) as session:
        keys = {c.key for c in session.exec(select(ChannelCursor))}
    assert keys == {"stuck", "audit"}
    engine.dispose()


def test_every_sqlite_connection_syncs_each_commit_to_disk(sqlite_url: str) -> None:
    """synchronous=FULL: an acknowledged complaint survives a power cut, not only a crash."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    connections = [engine.raw_connection() for _ in range(25)]  # more than the pool keeps
    try:
        modes = {c.execute("PRAGMA synchronous").fetchone()[0] for c in connections}
        with transaction(engine) as session, reading(engine) as lookup:
            modes.add(session.connection().exec_driver_sql("PRAGMA synchronous").scalar())
            modes.add(lookup.connection().exec_driver_sql("PRAGMA synchronous").scalar())
    finally:
        for connection in connections:
            connection.close()
    assert modes == {2}  # 2 = FULL (1 = NORMAL)
    engine.dispose()
