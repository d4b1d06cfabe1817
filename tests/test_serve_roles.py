"""`aduan serve --role web|worker|all` and `--processes N`: the web stores, the worker sends.

Real processes as an operator starts them, on SQLite and on a real PostgreSQL; the OPD is a
real HTTP server on loopback that records what reaches it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from storage.engine import make_engine, transaction
from storage.models import Complaint, OutboxItem, OutboxStatus
from tests.support import postgres
from tests.support.deployment import aduan_env, free_port, run_cli, write_config
from tests.support.http_recorder import Recorder

SUBJECTS = [
    "Jalan berlubang besar",
    "Sampah menumpuk tidak diangkut",
    "Lampu penerangan jalan mati",
    "Saluran air tersumbat",
]


def _complaint(n: int) -> dict[str, object]:
    """A new complaint each: its own text and a place kilometres from the others."""
    return {
        "text": f"{SUBJECTS[n % len(SUBJECTS)]} di Jl. Nomor {n} RT {n % 9 + 1}, sudah lama.",
        "location": {"lat": -6.2 - n * 0.05, "lon": 106.6 + (n % 7) * 0.07},
    }


class Serving:
    """`aduan serve ARGS` in a subprocess, its output in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, name: str) -> None:
        self.log = cwd / f"{name}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aduan", "serve", *args],
            env=env,
            cwd=cwd,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text()

    def wait_for_line(self, text: str, count: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.output().count(text) < count:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {count} x {text!r} in:\n{self.output()}")
            time.sleep(0.1)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


def _web(config: Path, env: dict[str, str], cwd: Path, processes: int = 1) -> tuple[Serving, str]:
    port = free_port()
    args = ["--config", str(config), "--role", "web", "--port", str(port)]
    server = Serving([*args, "--processes", str(processes)], env, cwd, f"web-{port}")
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert server.process.poll() is None, server.output()
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.2)
    return server, url


def _worker(
    config: Path, env: dict[str, str], cwd: Path, name: str = "worker", heartbeat: float = 60
) -> Serving:
    args = ["--config", str(config), "--role", "worker", "--heartbeat", str(heartbeat)]
    worker = Serving(args, env, cwd, name)
    worker.wait_for_line("running; stop it with SIGTERM")
    return worker


def _file(url: str, numbers: range) -> list[str]:
    """Post each complaint (eight at a time); their tracking codes."""

    def post(n: int) -> str:
        response = httpx.post(f"{url}/api/v1/web/messages", json=_complaint(n), timeout=30)
        assert response.status_code == 201, response.text
        assert response.json()["result"] == "complaint", response.text
        return str(response.json()["code"])

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(post, numbers))


def _stored(database_url: str) -> tuple[list[str], int]:
    """Codes of the stored complaints, and the dispatches still pending."""
    engine = make_engine(database_url)
    try:
        with transaction(engine) as session:
            codes = list(session.connection().execute(select(Complaint.code)).scalars())
            pending = session.connection().execute(
                select(func.count())
                .select_from(OutboxItem)
                .where(OutboxItem.kind == "dispatch", OutboxItem.status == OutboxStatus.pending)
            )
            return codes, pending.scalar_one()
    finally:
        engine.dispose()


def _dispatched_codes(opd_system: Recorder, count: int) -> list[str]:
    return sorted(received.json()["code"] for received in opd_system.wait_for(count, timeout=30))


def test_a_web_process_stores_and_sends_nothing_a_worker_sends_what_it_stored(
    database_url: str, tmp_path: Path, opd_system: Recorder
) -> None:
    config = write_config(
        tmp_path / "config.yaml", opd_webhook=opd_system.url, backoff_base_seconds=1
    )
    env = aduan_env(database_url)
    web, url = _web(config, env, tmp_path)
    try:
        codes = _file(url, range(6))
        time.sleep(2)  # a serve of role `all` would have sent these within a second
        assert opd_system.attempts == 0
        stored, pending = _stored(database_url)
        assert sorted(stored) == sorted(codes) and pending == len(codes)
        assert "role             web: web only" in web.output()
        if database_url.startswith("sqlite"):
            assert "several processes on one SQLite file" in web.output()

        opd_system.status = 503  # the OPD is down: the worker says what waits while it runs
        worker = _worker(config, env, tmp_path, heartbeat=0.5)
        try:
            worker.wait_for_line("alive; outbox: 6 pending, 0 dead")
            opd_system.status = 200
            assert _dispatched_codes(opd_system, len(codes)) == sorted(codes)
            assert "no HTTP listener" in worker.output()
            more = _file(url, range(6, 9))  # filed while the worker runs: sent as they come
            assert _dispatched_codes(opd_system, 9) == sorted(codes + more)
        finally:
            assert worker.stop() == 0
        assert "stopped" in worker.output() and "Traceback" not in worker.output()
        time.sleep(1)
        assert len(opd_system.received) == 9  # each complaint reached its OPD once
        assert _stored(database_url)[1] == 0
    finally:
        web.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """Several web processes are the PostgreSQL scale-out (on SQLite they share one writer)."""
    yield from postgres.fresh_database()


def test_two_web_processes_on_one_port_store_every_complaint_once(
    tmp_path: Path, opd_system: Recorder, postgres_url: str
) -> None:
    database_url = postgres_url
    config = write_config(tmp_path / "config.yaml", opd_webhook=opd_system.url)
    env = aduan_env(database_url)
    web, url = _web(config, env, tmp_path, processes=2)
    try:
        web.wait_for_line("INFO aduan.serve web process", count=2)
        pids = {
            line.rsplit("web process ", 1)[1].split()[0]
            for line in web.output().splitlines()
            if "aduan.serve web process" in line
        }
        assert len(pids) == 2 and all(Path(f"/proc/{pid}").exists() for pid in pids)
        codes = _file(url, range(40))
        assert len(set(codes)) == 40
        stored, pending = _stored(database_url)
        assert sorted(stored) == sorted(codes) and pending == 40
        # Both processes answer on the one port: with one of them gone the other still does.
        os.kill(int(sorted(pids)[0]), signal.SIGKILL)
        codes += _file(url, range(40, 44))
        assert opd_system.attempts == 0

        workers = [_worker(config, env, tmp_path, f"worker-{n}") for n in range(2)]
        try:
            assert _dispatched_codes(opd_system, 44) == sorted(codes)
        finally:
            assert [worker.stop() for worker in workers] == [0, 0]
        assert opd_system.attempts == 44
    finally:
        web.stop()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "cook"], "--role is one of all, web, worker, not 'cook'"),
        (["--role", "worker", "--processes", "2"], "--processes N (at least 1) runs N web"),
        (["--processes", "0"], "--processes N (at least 1)"),
        (["--processes", "two"], "integer"),
    ],
)
def test_bad_role_or_processes_is_a_clear_error(
    args: list[str], message: str, tmp_path: Path, sqlite_url: str
) -> None:
    config = write_config(tmp_path / "config.yaml")
    result = run_cli(["serve", "--config", str(config), *args], aduan_env(sqlite_url), tmp_path)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.replace("│", " ").split())
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "aduan.db").exists()  # refused before anything was opened


def test_the_role_can_come_from_the_environment(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path / "config.yaml")
    worker = Serving(
        ["--config", str(config)], aduan_env(sqlite_url, ADUAN_ROLE="worker"), tmp_path, "w"
    )
    worker.wait_for_line("running; stop it with SIGTERM")
    try:
        assert "role             worker" in worker.output()
        assert "Listening on" not in worker.output()
    finally:
        assert worker.stop() == 0
