"""Intake speed: new web complaints per second, stored and acknowledged, against a bare endpoint.

Both servers run under the same uvicorn settings (`aduan.serve.server_config`, the same `--loop`
and `--http`: auto is uvloop and httptools when installed), one at a time
(never overlapping: Aduan's outbox worker stops with its process), interleaved, `--rounds` times,
with the load average printed before each run (the machine may be shared: read the figures with
it). Each run is `wrk` (Debian package `wrk`; a Python load generator saturates before the
server does) driving `benchmarks/intake.lua`: every request a distinct new complaint, its id
seeded from this run so no id repeats a previous run's. Per run it prints the throughput, the
server's CPU per request, and latency percentiles at a fixed `--rate` (wrk paced per connection,
closed loop); Aduan's rows say how many complaints were stored, how many linked as the same
problem. A last row sends a `--duplicates` share of exact re-deliveries (the cheap path).

    .venv/bin/python -m benchmarks.intake [--rounds 3] [--seconds 8] [--rate 500]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from aduan.serve import LOOPS, PARSERS, io_report
from benchmarks.complaint_texts import lua_tables
from benchmarks.servers import load_average, start

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(__file__).with_name("intake.lua")
TICKS = os.sysconf("SC_CLK_TCK")


def bench_config(path: Path) -> Path:
    """The shipped config, with any per-client rate limit out of the load generator's way."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    limits = data.get("http", {}).get("rate_limits")
    if limits:
        data["http"]["rate_limits"] = {name: "1000000/second" for name in limits}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@dataclass
class WrkRun:
    rate: float
    requests: int
    created: int
    failed: str
    p50_ms: float | None = None
    p99_ms: float | None = None


def _ms(value: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if value.endswith(unit):
            return float(value.removesuffix(unit)) * factor
    raise ValueError(value)


def wrk(url: str, seconds: float, connections: int, args: list[str]) -> WrkRun:
    """One wrk run of intake.lua with `args` (seed, duplicate share, pause in ms)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(lua_tables() + SCRIPT.read_text())
        script.flush()
        output = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds:g}s",
                "--latency",
                "-s",
                script.name,
                url,
                "--",
                *args,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    lines = [line.strip() for line in output.splitlines()]
    value = {line.split()[0]: line.split()[1] for line in lines if line[:3] in ("50%", "99%")}
    summary = next(line for line in lines if "requests in" in line)
    statuses = next(line for line in lines if line.startswith("status 201"))
    return WrkRun(
        rate=float(next(line.split()[1] for line in lines if line.startswith("Requests/sec"))),
        requests=int(summary.split()[0]),
        created=int(statuses.split()[2].rstrip(",")),
        failed=next((line for line in lines if "Non-2xx" in line or "Socket errors" in line), ""),
        p50_ms=_ms(value["50%"]) if "50%" in value else None,
        p99_ms=_ms(value["99%"]) if "99%" in value else None,
    )


def stored(database: Path | None) -> tuple[int, int]:
    """Complaints in the database, and how many of them are linked to an earlier one."""
    if database is None:
        return 0, 0
    with sqlite3.connect(database) as connection:
        total, linked = connection.execute(
            "SELECT count(*), count(duplicate_of_id) FROM complaint"
        ).fetchone()
    return total, linked


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.env = dict(os.environ)
        self.database: Path | None = None
        if "ADUAN_DATABASE_URL" not in self.env:
            self.database = tmp / "bench.db"
            self.env["ADUAN_DATABASE_URL"] = f"sqlite:///{self.database}"
        config = bench_config(tmp / "config.yaml")
        io = ["--loop", args.loop, "--http", args.http]
        self.commands = {
            "aduan": ([sys.executable, "-m", "aduan", "serve", "--config", str(config), *io], tmp),
            "bare": ([sys.executable, "-m", "benchmarks.bare_app", *io], ROOT),
        }
        self.seed = random.SystemRandom().randrange(1, 2**31)
        self.results: dict[str, list[WrkRun]] = {}

    def run(self, name: str, duplicates: float = 0.0) -> None:
        """Start `name`'s server, warm it, measure throughput then paced latency, stop it."""
        command, cwd = self.commands[name]
        process, url = start(command, self.env, cwd)
        args, row = self.args, name if not duplicates else f"{name} {duplicates:.0%} dup"
        try:
            self.seed += 1
            wrk(url, 1, 8, [str(self.seed), "0", "0"])  # warm-up
            before_total, before_linked = stored(self.database)
            load = load_average()
            cpu = cpu_seconds(process.pid)
            self.seed += 1
            run = wrk(url, args.seconds, args.connections, [str(self.seed), str(duplicates), "0"])
            cpu_per_request = (cpu_seconds(process.pid) - cpu) / max(run.requests, 1) * 1000
            total, linked = stored(self.database)
            self.seed += 1
            pause = args.connections / args.rate * 1000
            paced = wrk(
                url,
                args.seconds,
                args.connections,
                [str(self.seed), str(duplicates), f"{pause:.3f}"],
            )
        finally:
            process.terminate()
            process.wait()
        run.p50_ms, run.p99_ms = paced.p50_ms, paced.p99_ms
        self.results.setdefault(row, []).append(run)
        filed = ""
        if name == "aduan" and self.database is not None:
            filed = (
                f"; {total - before_total} complaints stored "
                f"({linked - before_linked} linked as same problem), 201s {run.created}"
            )
        print(
            f"{row:<16} {run.rate:7.0f} req/s, {cpu_per_request:5.2f} ms CPU/request; "
            f"at {paced.rate:.0f} req/s p50 {paced.p50_ms:.1f} ms p99 {paced.p99_ms:.1f} ms "
            f"(load {load}){filed}{'  ' + run.failed if run.failed else ''}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=float, default=500, help="paced latency run, req/s")
    parser.add_argument("--duplicates", type=float, default=0.3, help="share in the last row")
    parser.add_argument("--loop", choices=LOOPS, default="auto", help="both servers' event loop")
    parser.add_argument("--http", choices=PARSERS, default="auto", help="both servers' parser")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(args, Path(tmp))
        print(
            f"database: {bench.env['ADUAN_DATABASE_URL'].split('://')[0]}, "
            f"cores: {os.cpu_count()}, {args.connections} connections, seed {bench.seed}, "
            f"{io_report(args.loop, args.http)}; "
            "the machine may be shared: see the load averages"
        )
        for round_ in range(args.rounds):
            for name in ("aduan", "bare") if round_ % 2 == 0 else ("bare", "aduan"):
                bench.run(name)
        if args.duplicates:
            bench.run("aduan", args.duplicates)
    medians = {row: statistics.median(r.rate for r in runs) for row, runs in bench.results.items()}
    for row, runs in bench.results.items():
        rates = [r.rate for r in runs]
        print(
            f"{row:<16} median {medians[row]:7.0f} req/s (min {min(rates):.0f}, "
            f"max {max(rates):.0f})"
        )
    print(f"ratio aduan/bare (medians): {medians['aduan'] / medians['bare']:.2f}")


if __name__ == "__main__":
    main()
