"""One slow OPD holds nobody else's message; a killed worker's claims come free in seconds."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from aduan.runtime import Runtime, build_runtime
from aduan.serve import senders_for
from channels.message import InboundMessage
from channels.message import SendResult as Sent
from channels.registry import build_adapters
from dispatch.outbox import OutboxWorker
from tests.support.deployment import ROOT, aduan_env, write_config
from tests.support.http_recorder import Recorder


class Unanswering:
    """An OPD endpoint that accepts connections, reads the request and never answers."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.open = 0
        self.most_open = 0
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        with self._lock:
            self._conns.append(conn)
            self.open += 1
            self.most_open = max(self.most_open, self.open)
        while conn.recv(65536):  # until the client gives up
            pass
        with self._lock:
            self.open -= 1

    def close(self) -> None:
        self.sock.close()
        for conn in self._conns:
            conn.close()


@pytest.fixture
def silent_opd() -> Iterator[Unanswering]:
    server = Unanswering()
    yield server
    server.close()


def _separate_reports(config: Path) -> Path:
    """Every report its own complaint: no linking of the same problem reported twice."""
    data = yaml.safe_load(config.read_text())
    data["lifecycle"]["duplicate_window_hours"] = 0
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return config


def _file(runtime: Runtime, count: int) -> list[str]:
    codes = []
    for n in range(count):
        outcome = runtime.pipeline.handle(
            InboundMessage(
                channel="web",
                external_id=f"w{n}",
                sender=f"web:warga-{n}",
                text=f"Jalan berlubang besar di Jl. Merdeka nomor {n}, motor sering jatuh",
            )
        )
        assert outcome.complaint_code
        codes.append(outcome.complaint_code)
    return codes


def _wait(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.05)


def test_an_opd_that_never_answers_holds_no_citizen_acknowledgement(
    tmp_path: Path, database_url: str, silent_opd: Unanswering, city_app: Recorder
) -> None:
    config = write_config(
        tmp_path / "config.yaml", opd_webhook=silent_opd.url, web_callback=city_app.url
    )
    _separate_reports(config)
    runtime = build_runtime(config, database_url, migrate=True)
    codes = _file(runtime, 12)  # twelve dispatches to the silent OPD, twelve acknowledgements
    env = aduan_env(database_url)
    adapters, _ = build_adapters(runtime.config.channels, env)
    worker = OutboxWorker(runtime.engine, senders_for(adapters, env), runtime.ctx.settings)

    async def run() -> int:
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.1))
        await asyncio.to_thread(_wait, lambda: len(city_app.received) >= 12, 8)
        still_open = silent_opd.open  # the OPD's requests, as the last acknowledgement arrived
        stop.set()
        await task
        return still_open

    still_open = asyncio.run(run())
    assert sorted(r.json()["complaint_code"] for r in city_app.received) == sorted(codes)
    # Every acknowledgement went out while the OPD's requests were still hanging (the webhook
    # gives up after 10 s): none of them waited on the silent OPD.
    assert still_open == runtime.ctx.settings.per_destination
    assert silent_opd.most_open == runtime.ctx.settings.per_destination
    runtime.engine.dispose()


KILLED_WORKER = """
import asyncio, sys
from aduan.runtime import build_runtime
from dispatch.outbox import OutboxWorker

async def hang(payload):
    print("sending", payload["idempotency_key"], flush=True)
    await asyncio.Event().wait()

runtime = build_runtime(sys.argv[1], sys.argv[2])
worker = OutboxWorker(runtime.engine, {"web": hang}, runtime.ctx.settings)
asyncio.run(worker.run_forever(asyncio.Event()))
"""


def test_a_killed_workers_claim_is_sent_again_within_seconds(
    tmp_path: Path, database_url: str, city_app: Recorder
) -> None:
    config = write_config(tmp_path / "config.yaml", web_callback=city_app.url, lease_seconds=2)
    runtime = build_runtime(config, database_url, migrate=True)
    (code,) = _file(runtime, 1)
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_WORKER, str(config), database_url],
        cwd=ROOT,
        env=aduan_env(database_url),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().startswith("sending ack:")
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    killed = time.monotonic()

    env = aduan_env(database_url)
    adapters, _ = build_adapters(runtime.config.channels, env)
    successor = OutboxWorker(runtime.engine, senders_for(adapters, env), runtime.ctx.settings)

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(successor.run_forever(stop, idle_seconds=0.1))
        await asyncio.to_thread(_wait, lambda: city_app.received, 10)
        await asyncio.sleep(0.5)  # a second send would show up here
        stop.set()
        await task

    asyncio.run(run())
    (ack,) = city_app.received
    assert ack.json()["complaint_code"] == code
    assert time.monotonic() - killed < 5
    runtime.engine.dispose()


def test_a_send_longer_than_the_lease_is_not_taken_by_another_worker(
    tmp_path: Path, database_url: str
) -> None:
    config = write_config(tmp_path / "config.yaml", lease_seconds=1)
    runtime = build_runtime(config, database_url, migrate=True)
    _file(runtime, 1)
    calls: list[str] = []

    async def slow(payload: dict) -> Sent:
        calls.append("slow")
        await asyncio.sleep(3)  # three leases long: the heartbeat must keep the claim
        return Sent()

    async def fast(payload: dict) -> Sent:
        calls.append("fast")
        return Sent()

    async def run() -> None:
        first = OutboxWorker(runtime.engine, {"web": slow}, runtime.ctx.settings)
        second = OutboxWorker(runtime.engine, {"web": fast}, runtime.ctx.settings)
        stop = asyncio.Event()
        sending = asyncio.create_task(first.run_once())
        await asyncio.sleep(0.2)
        other = asyncio.create_task(second.run_forever(stop, idle_seconds=0.1))
        await sending
        await asyncio.sleep(1.5)  # past the lease the first one would have had without renewal
        stop.set()
        await other

    asyncio.run(run())
    assert calls == ["slow"]
    runtime.engine.dispose()


SENDING_WORKER = """
import asyncio, signal, sys
from aduan.runtime import build_runtime
from aduan.serve import senders_for
from channels.registry import build_adapters
from dispatch.outbox import OutboxWorker
from tests.support.deployment import aduan_env

runtime = build_runtime(sys.argv[1], sys.argv[2])
env = aduan_env(sys.argv[2])
adapters, _ = build_adapters(runtime.config.channels, env)
worker = OutboxWorker(runtime.engine, senders_for(adapters, env), runtime.ctx.settings)

async def main():
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await worker.run_forever(stop, idle_seconds=0.1)

asyncio.run(main())
"""


def test_two_worker_processes_and_a_slow_opd_send_nothing_twice(
    tmp_path: Path, database_url: str, city_app: Recorder, opd_system: Recorder
) -> None:
    """Each dispatch takes the OPD longer than a lease to answer; two workers share the queue."""
    opd = opd_system
    opd.delay = 2.5
    config = write_config(
        tmp_path / "config.yaml",
        opd_webhook=opd.url,
        web_callback=city_app.url,
        lease_seconds=1,
        per_destination=2,
    )
    _separate_reports(config)
    runtime = build_runtime(config, database_url, migrate=True)
    codes = _file(runtime, 6)  # six dispatches to one OPD endpoint, six acknowledgements
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", SENDING_WORKER, str(config), database_url],
            cwd=ROOT,
            env=aduan_env(database_url),
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline() == "ready\n"
        opd.wait_for(6, timeout=30)
        city_app.wait_for(6, timeout=30)
        time.sleep(4)  # a lease lost under a slow send would show up here, sent again
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(20)
    dispatched = [r.headers["Idempotency-Key"] for r in opd.received]
    assert len(dispatched) == len(set(dispatched)) == 6
    assert sorted(r.json()["complaint_code"] for r in city_app.received) == sorted(codes)
    runtime.engine.dispose()
