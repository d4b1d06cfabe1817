"""Console pages with a big database: p50/p95 of the inbox, a complaint page and the map.

Fills a fresh database with `--complaints` complaints (default 100,000) spread over a year,
starts a real `aduan serve` on it, signs in as an admin and as DPUPR staff, and times each
page over `--rounds` requests (wall time of the whole HTTP answer, one request at a time).

    .venv/bin/python -m benchmarks.console_pages [--complaints 100000] [--rounds 200]
        [--database-url postgresql://127.0.0.1/aduan_bench]   # default: a SQLite file
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
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import yaml
from sqlalchemy import func, insert
from sqlmodel import select

from aduan.access.accounts import add_account
from aduan.complaints.codes import ALPHABET, LENGTH, PREFIX
from aduan.runtime import Runtime, build_runtime
from benchmarks.servers import start
from storage.engine import transaction
from storage.models import Complaint, Contact

ROOT = Path(__file__).resolve().parents[1]
STATUSES = ["routed"] * 3 + ["in_progress"] * 2 + ["resolved"] * 4 + ["rejected", "needs_review"]
WORDS = ["jalan", "berlubang", "sampah", "menumpuk", "lampu", "mati", "banjir", "selokan", "macet"]
BATCH = 5_000


def code(n: int) -> str:
    """The n-th tracking code (31^5 > 28 million of them)."""
    digits = []
    for _ in range(LENGTH):
        n, digit = divmod(n, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return f"{PREFIX}-" + "".join(reversed(digits))


def fill(runtime: Runtime, complaints: int, seed: int = 13) -> None:
    """`complaints` complaints of every category, 70% located around one town, over a year."""
    rng = random.Random(seed)
    rules = runtime.rules().ruleset.categories
    categories = [(code, rule.opd) for code, rule in rules.items()]
    now = datetime.now(UTC)
    contacts = max(1, complaints // 5)
    with transaction(runtime.engine) as session:
        connection = session.connection()
        for start in range(0, contacts, BATCH):
            rows = [
                {"channel": "web", "address": f"bench-{n}", "language": "id", "created_at": now}
                for n in range(start, min(start + BATCH, contacts))
            ]
            connection.execute(insert(Contact), rows)
        first_contact = int(session.exec(select(func.min(Contact.id))).one() or 1)
        for start in range(0, complaints, BATCH):
            rows = []
            for n in range(start, min(start + BATCH, complaints)):
                category, opd = rng.choice(categories)
                status = rng.choice(STATUSES)
                created = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
                located = rng.random() < 0.7
                rows.append(
                    {
                        "code": code(n),
                        "contact_id": first_contact + rng.randrange(contacts),
                        "channel": "web",
                        "text": " ".join(rng.choices(WORDS, k=12)) + f" nomor {n}",
                        "category": category,
                        "opd": "TRIAGE" if status == "needs_review" else opd,
                        "status": status,
                        "language": "id",
                        "location_lat": -6.9 + rng.uniform(-0.15, 0.15) if located else None,
                        "location_lon": 107.6 + rng.uniform(-0.15, 0.15) if located else None,
                        "attachments": [],
                        "due_at": created + timedelta(hours=48),
                        # Reminded and escalated already: the SLA timer stays idle while the
                        # pages are timed (its catch-up over a year's backlog is another story).
                        "reminded_at": now,
                        "escalated_at": now,
                        "escalations": 1,
                        "created_at": created,
                        "updated_at": created,
                        "resolved_at": created + timedelta(hours=30)
                        if status == "resolved"
                        else None,
                    }
                )
            connection.execute(insert(Complaint), rows)


def serve(config: Path, database_url: str, cwd: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {**os.environ, "ADUAN_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "aduan", "serve", "--config", str(config)]
    return start(command, env, cwd, log=cwd / "serve.log")


def signed_in(url: str, login: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    client.get("/console/signin")
    answer = client.post(
        "/console/signin",
        data={"login": login, "password": password, "csrf_token": client.cookies["aduan_csrf"]},
    )
    assert answer.status_code in (200, 303), answer.text
    return client


def timed(label: str, rounds: int, request: Callable[[int], httpx.Response]) -> None:
    for n in range(5):  # warm up
        request(n)
    times = []
    for n in range(rounds):
        started = time.perf_counter()
        answer = request(n)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (label, answer.status_code, answer.text[:200])
    cuts = statistics.quantiles(times, n=100)
    print(f"{label:<34} p50 {cuts[49]:7.1f} ms   p95 {cuts[94]:7.1f} ms   ({rounds} requests)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        url = args.database_url or f"sqlite:///{cwd / 'bench.db'}"
        config = cwd / "config.yaml"
        data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
        data["http"]["rate_limits"]["other"] = "1000000/minute"  # one client asks all the time
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        runtime = build_runtime(config, url, migrate=True)
        add_account(runtime.engine, "admin", "Admin", "admin", None, "bench", "bench-admin-123")
        add_account(runtime.engine, "budi", "Budi", "staff", "DPUPR", "bench", "bench-budi-123")
        started = time.perf_counter()
        fill(runtime, args.complaints)
        print(f"filled {args.complaints} complaints in {time.perf_counter() - started:.1f} s")
        runtime.engine.dispose()
        process, base = serve(config, url, cwd)
        try:
            admin = signed_in(base, "admin", "bench-admin-123")
            staff = signed_in(base, "budi", "bench-budi-123")
            rng = random.Random(5)
            codes = [code(rng.randrange(args.complaints)) for _ in range(args.rounds + 5)]
            rounds = args.rounds
            timed("inbox (admin, open)", rounds, lambda n: admin.get("/console"))
            timed("inbox (DPUPR, open)", rounds, lambda n: staff.get("/console"))
            timed(
                "inbox (admin, search 'selokan')",
                rounds,
                lambda n: admin.get("/console", params={"q": "selokan", "status": "all"}),
            )
            timed(
                "inbox (admin, page 40)", rounds, lambda n: admin.get("/console?status=all&page=40")
            )
            timed("complaint page", rounds, lambda n: admin.get(f"/console/complaints/{codes[n]}"))
            timed("map page", rounds, lambda n: admin.get("/console/map"))
            timed(
                "map points (admin, one category)",
                max(20, rounds // 10),
                lambda n: admin.get("/console/map/points", params={"category": "jalan_rusak"}),
            )
            timed(
                "map points (admin, last 30 days)",
                max(20, rounds // 10),
                lambda n: admin.get(
                    "/console/map/points",
                    params={"since": f"{datetime.now(UTC).date() - timedelta(days=30)}"},
                ),
            )
            timed(
                "map points (admin, all located)",
                max(20, rounds // 20),
                lambda n: admin.get("/console/map/points"),
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
