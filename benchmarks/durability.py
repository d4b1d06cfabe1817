"""What the durable acknowledgement costs: intake with SQLite synchronous=FULL against NORMAL.

Starts two `aduan serve` processes on fresh SQLite files, one as shipped (FULL: a commit is on
disk before the citizen is told the code) and one with the old NORMAL, then measures them in
alternating rounds under `wrk` (every request a new anonymous complaint), printing the load
average before each run, and at the end how many complaints each database stored.

    .venv/bin/python -m benchmarks.durability [--rounds 5] [--seconds 5] [--connections 32]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.intake import ROOT, bench_config, wrk
from benchmarks.servers import start

MODES = ("FULL", "NORMAL")


def serve(mode: str, args: list[str]) -> None:
    """`aduan serve` with SQLite's synchronous pragma set to `mode` (runs in the child)."""
    import storage.engine

    storage.engine.SQLITE_SYNCHRONOUS = mode
    from aduan.cli.main import app

    app(args=["serve", *args], prog_name="aduan")


def stored(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM complaint").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    rates: dict[str, list[float]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory() as tmp:
        config = bench_config(Path(tmp) / "config.yaml")
        servers = {}
        for mode in MODES:
            database = Path(tmp) / f"{mode.lower()}.db"
            env = {**os.environ, "ADUAN_DATABASE_URL": f"sqlite:///{database}"}
            command = [sys.executable, "-m", "benchmarks.durability", "--serve", mode]
            process, url = start([*command, "--config", str(config)], env, ROOT)
            servers[mode] = (process, url, database)
        try:
            print(
                f"SQLite intake, {os.cpu_count()} cores, {args.connections} connections, "
                f"{args.rounds} rounds of {args.seconds:g} s per setting"
            )
            answered = dict.fromkeys(MODES, 0)
            for round_ in range(args.rounds):
                order = MODES if round_ % 2 == 0 else MODES[::-1]
                for mode in order:
                    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                    seed = str(random.SystemRandom().randrange(1, 2**31))
                    run = wrk(servers[mode][1], args.seconds, args.connections, [seed, "0", "0"])
                    rate, failed = run.rate, run.failed
                    rates[mode].append(rate)
                    print(
                        f"round {round_ + 1} {mode:<6} {rate:8.0f} req/s  "
                        f"(load average {load}){'  ' + failed if failed else ''}"
                    )
            for mode in MODES:
                answered[mode] = stored(servers[mode][2])
        finally:
            for process, _, _ in servers.values():
                process.terminate()
                process.wait()
    for mode in MODES:
        values = rates[mode]
        print(
            f"{mode:<6} median {statistics.median(values):6.0f} req/s, "
            f"min {min(values):.0f}, max {max(values):.0f}; "
            f"{answered[mode]} complaints stored"
        )
    ratio = statistics.median(rates["FULL"]) / statistics.median(rates["NORMAL"])
    print(f"FULL/NORMAL (medians): {ratio:.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3:])
    else:
        main()
