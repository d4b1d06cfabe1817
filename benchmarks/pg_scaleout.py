"""Scale-out on PostgreSQL: web intake with 1 and 2 web processes, outbox drain with 1 and 2
workers, and a raw psycopg replay of the statements a web complaint runs, in one run.

- Web: `aduan serve --role web --processes N` driven by wrk with `benchmarks/intake.lua`
  (every request a distinct new complaint, `benchmarks.intake`'s runner), the CPU of the whole
  process tree per request.
- Replay: the statements one web complaint runs, captured from the pipeline at run time
  (`benchmarks.pg_replay`), sent with plain psycopg for `--replay` new complaints on one
  connection, committing each complaint, then every `--batch`, and committing each on
  `--replay-connections` connections side by side (as Aduan's writers run); client CPU per
  complaint.
- Outbox: `--items` webhook dispatches (`benchmarks.outbox_drain`'s queueing and receiver)
  committed at once while N `aduan serve --role worker` processes run; items/s until none is
  pending, and the workers' CPU per item.

Each its own fresh database on the local server (`--admin-url`), dropped at the end. The rows
are interleaved (their order turns each round), `--rounds` times, with the load average
printed next to every figure: the machine may be shared.

    .venv/bin/python -m benchmarks.pg_scaleout [--rounds 3] [--seconds 8] [--items 2000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from aduan.runtime import build_runtime
from benchmarks import pg_replay
from benchmarks.intake import ROOT, TICKS, bench_config, wrk
from benchmarks.outbox_drain import SECRET_ENV, pending, queue
from benchmarks.servers import load_average, start
from storage.engine import make_engine

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def create_database(admin: str) -> str:
    name = f"aduan_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin.rsplit("/", 1)[0] + f"/{name}"


def drop_database(admin: str, url: str) -> None:
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and every live process below it (uvicorn's web processes)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICKS
    family, new = {pid}, {pid}
    while new:
        new = {p for p, parent in parents.items() if parent in new} - family
        family |= new
    return sum(times.get(member, 0.0) for member in family)


def count(url: str, table: str) -> int:
    with psycopg.connect(url) as connection:
        row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args, self.tmp = args, tmp
        self.config = bench_config(tmp / "config.yaml")
        self.urls = {name: create_database(args.admin_url) for name in ("web", "replay", "outbox")}
        # Migrated once here: the worker processes then start side by side on it.
        build_runtime(self.config, self.urls["outbox"], migrate=True).engine.dispose()
        self.seed = random.SystemRandom().randrange(1, 2**31)
        self.rates: dict[str, list[float]] = {}
        self.receiver: subprocess.Popen[bytes] | None = None

    def close(self) -> None:
        if self.receiver:
            self.receiver.terminate()
            self.receiver.wait()
        for url in self.urls.values():
            drop_database(self.args.admin_url, url)

    def env(self, database: str) -> dict[str, str]:
        return {**os.environ, "ADUAN_DATABASE_URL": self.urls[database], SECRET_ENV: "secret"}

    def report(self, row: str, rate: float, unit: str, cpu_ms: float, load: str, more: str = ""):
        self.rates.setdefault(row, []).append(rate)
        print(
            f"{row:<22} {rate:7.0f} {unit}, {cpu_ms:5.2f} ms CPU/{unit.split('/')[0][:-1]} "
            f"(load {load}){more}",
            flush=True,
        )

    def web(self, processes: int) -> None:
        """wrk against `processes` web processes on one port; complaints/s and CPU each."""
        args = self.args
        command = [sys.executable, "-m", "aduan", "serve", "--config", str(self.config)]
        command += ["--role", "web", "--processes", str(processes)]
        command += ["--loop", args.loop, "--http", args.http]
        server, url = start(command, self.env("web"), self.tmp, self.tmp / "web.log")
        try:
            if processes > 1:  # every web process up, not only the first to answer
                time.sleep(3)
            self.seed += 1
            wrk(url, 1, 8, [str(self.seed), "0", "0"])  # warm-up
            before, load = count(self.urls["web"], "complaint"), load_average()
            cpu = tree_cpu_seconds(server.pid)
            self.seed += 1
            run = wrk(url, args.seconds, args.connections, [str(self.seed), "0", "0"])
            cpu_ms = (tree_cpu_seconds(server.pid) - cpu) / max(run.requests, 1) * 1000
            stored = count(self.urls["web"], "complaint") - before
        finally:
            server.terminate()
            server.wait()
        more = f"; {stored} stored, 201s {run.created}{'  ' + run.failed if run.failed else ''}"
        self.report(f"aduan web x{processes}", run.rate, "complaints/s", cpu_ms, load, more)

    def capture(self) -> list[pg_replay.Captured]:
        runtime = build_runtime(self.config, self.urls["replay"], migrate=True)
        try:
            pg_replay.spread_ids(runtime.engine)
            rng = random.Random(self.seed)
            pg_replay.capture(runtime, 20, rng)  # warm: rules seen, caches filled
            return pg_replay.capture(runtime, self.args.captured, rng)
        finally:
            runtime.pipeline.close()
            runtime.engine.dispose()

    def replay(self, captured: list[pg_replay.Captured], batch: int, connections: int = 1) -> None:
        load, cpu = load_average(), time.process_time()
        self.seed += 1
        n, url = self.args.replay, self.urls["replay"]
        seconds = pg_replay.replay(url, captured, n, batch, str(self.seed), connections)
        cpu_ms = (time.process_time() - cpu) / n * 1000
        row = "psycopg replay" + (" each" if batch == 1 else f" per {batch}")
        row += f" x{connections}" if connections > 1 else ""
        self.report(row, n / seconds, "complaints/s", cpu_ms, load)

    def outbox(self, workers: int) -> None:
        """`workers` worker processes drain `--items` dispatches committed at once."""
        engine = make_engine(self.urls["outbox"])
        if self.receiver is None:
            self.receiver, self.receiver_url = start(
                [sys.executable, "-m", "benchmarks.bare_app"], self.env("outbox"), ROOT
            )
        command = [sys.executable, "-m", "aduan", "serve", "--config", str(self.config)]
        command += ["--role", "worker", "--loop", self.args.loop]
        logs = [self.tmp / f"worker-{n}.log" for n in range(workers)]
        processes = [
            subprocess.Popen(
                command, env=self.env("outbox"), cwd=self.tmp, stdout=log.open("w"), stderr=-2
            )
            for log in logs
        ]
        try:
            _wait_for(logs, "running; stop it with SIGTERM")
            load, cpu = load_average(), sum(tree_cpu_seconds(p.pid) for p in processes)
            queue(engine, self.receiver_url, self.args.items, 8, f"{time.time()}")
            started = time.perf_counter()
            while pending(engine):
                time.sleep(0.02)
            elapsed = time.perf_counter() - started
            cpu_used = sum(tree_cpu_seconds(p.pid) for p in processes) - cpu
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait()
            engine.dispose()
        rate = self.args.items / elapsed
        self.report(
            f"outbox x{workers} worker", rate, "items/s", cpu_used / self.args.items * 1000, load
        )


def _wait_for(logs: list[Path], line: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not all(line in log.read_text() for log in logs):
        if time.monotonic() > deadline:
            raise RuntimeError("\n".join(log.read_text() for log in logs))
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--replay", type=int, default=1000, help="complaints per replay row")
    parser.add_argument("--batch", type=int, default=50, help="complaints per replay commit")
    parser.add_argument(
        "--replay-connections", type=int, default=4, help="a replay row on this many connections"
    )
    parser.add_argument("--captured", type=int, default=8, help="complaints captured")
    parser.add_argument("--items", type=int, default=2000, help="outbox items per drain")
    parser.add_argument("--loop", default="auto")
    parser.add_argument("--http", default="auto")
    parser.add_argument("--admin-url", default=os.environ.get("ADUAN_BENCH_PG", ADMIN_URL))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(args, Path(tmp))
        try:
            captured = bench.capture()
            statements = statistics.mean(c.statements for c in captured)
            commits = statistics.mean(
                sum(s.statement == pg_replay.COMMIT for s in c.steps) for c in captured
            )
            print(
                f"PostgreSQL {args.admin_url.rsplit('@', 1)[-1]}, cores: {os.cpu_count()}, "
                f"{args.connections} connections, seed {bench.seed}; captured {len(captured)} "
                f"web complaints: {statements:.1f} statements and {commits:.1f} commits each; "
                "the machine may be shared: see the load averages"
            )
            rows = [
                lambda: bench.web(1),
                lambda: bench.web(2),
                lambda: bench.replay(captured, 1),
                lambda: bench.replay(captured, args.batch),
                lambda: bench.replay(captured, 1, args.replay_connections),
            ]
            for round_ in range(args.rounds):
                turn = round_ % len(rows)
                for measure in rows[turn:] + rows[:turn]:
                    measure()
                for workers in (1, 2) if round_ % 2 == 0 else (2, 1):
                    bench.outbox(workers)
        finally:
            bench.close()
    medians = {row: statistics.median(rates) for row, rates in bench.rates.items()}
    for row, rates in bench.rates.items():
        print(f"{row:<22} median {medians[row]:7.0f} (min {min(rates):.0f}, max {max(rates):.0f})")
    for processes in (1, 2):
        web = medians[f"aduan web x{processes}"]
        ratios = [
            f"{web / rate:.2f}x {row.removeprefix('psycopg replay ')}"
            for row, rate in medians.items()
            if row.startswith("psycopg replay")
        ]
        print(f"aduan web x{processes} / psycopg replay: {', '.join(ratios)}")


if __name__ == "__main__":
    main()
