"""Public pages with many complaints stored: p50/p95 of /peta, /peta.json, /lacak and /lapor.

Files `--filed` reports through the pipeline (SQLite, the shipped config), grows the table to
`--complaints` by copying those rows under new codes (filing 100,000 one by one with synchronous
commits takes too long on a shared machine), then times each page `--requests` times in process
(Starlette's TestClient: no network, one client). The target (DESIGN.md §8) is p95 < 200 ms
with 100,000 complaints stored. The map and rapor are cached for `public.map_cache_seconds`;
`--no-cache` times every request computing them afresh. The filed reports are spread over
the map's 90 days, a third resolved (rated) and a third in progress, so that the rapor's
medians have work to do.

Then the rapor alone (`build_scorecard`, added up by the database), by OPD and by kecamatan,
interleaved in the same run. The load average is printed before and after: the machine is
shared.

    .venv/bin/python -m benchmarks.public_pages [--complaints 100000] [--requests 100] [--no-cache]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import select

from aduan.api.app import create_app
from aduan.runtime import build_runtime
from channels.message import InboundMessage, Location
from channels.registry import build_adapters
from dispatch.scorecard import build_scorecard
from storage.engine import transaction
from storage.models import Complaint, Status

ROOT = Path(__file__).resolve().parents[1]
TEXTS = (
    "Jalan berlubang besar di gang mawar nomor {n}, motor sering jatuh",
    "Lampu jalan mati di gang melati nomor {n} sudah tiga malam",
    "Sampah menumpuk di TPS blok {n}, bau dan tidak diangkut seminggu",
    "Bansos PKH keluarga nomor {n} tidak diterima tiga bulan",
)


def inbound(n: int) -> InboundMessage:
    return InboundMessage(
        channel="web",
        external_id=f"bench-{n}",
        sender=f"web:anon-bench{n}",
        text=TEXTS[n % len(TEXTS)].format(n=n),
        location=Location(lat=-6.9 - (n % 1000) / 10_000, lon=107.6 + (n % 997) / 10_000),
    )


COLUMNS = (
    "contact_id, channel, text, category, opd, confidence, explanation, status, language, "
    "location_lat, location_lon, location_address, attachments, due_at, created_at, updated_at, "
    "first_response_at, resolved_at, rating, awaiting_citizen, escalations"
)


def age(runtime: object) -> None:
    """Spread the filed complaints over 90 days; a third resolved and rated, a third answered."""
    now = datetime.now(UTC)
    with transaction(runtime.engine) as session:  # type: ignore[attr-defined]
        for complaint in session.exec(select(Complaint)).all():
            n = complaint.id or 0
            complaint.created_at = now - timedelta(days=n % 90, minutes=n % 1440)
            complaint.due_at = complaint.created_at + timedelta(hours=48)
            if n % 3:
                complaint.first_response_at = complaint.created_at + timedelta(hours=1 + n % 30)
                complaint.status = Status.in_progress
            if n % 3 == 1:
                complaint.status = Status.resolved
                complaint.resolved_at = complaint.created_at + timedelta(hours=2 + n % 97)
                complaint.rating = 1 + n % 5
            session.add(complaint)


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def rapor(runtime: object, rounds: int) -> None:
    """The rapor's scorecard by OPD and by kecamatan, interleaved; p50 of each."""
    ctx = runtime.ctx  # type: ignore[attr-defined]
    took: dict[str, list[float]] = {"opd": [], "kecamatan": []}
    now = datetime.now(UTC)
    since = now - timedelta(days=90)
    for _ in range(rounds):
        for by in ("opd", "kecamatan"):
            with transaction(runtime.engine) as session:  # type: ignore[attr-defined]
                started = time.perf_counter()
                build_scorecard(session, ctx.opd_names, ctx.sla.red_threshold, now, since, by=by)  # type: ignore[arg-type]
                took[by].append((time.perf_counter() - started) * 1000)
    for by, values in took.items():
        print(f"rapor by {by:9} p50 {statistics.median(values):7.1f} ms ({rounds} rounds)")


def grow(runtime: object, filed: int, target: int) -> None:
    """Copy the filed complaints under new codes until there are `target` of them."""
    engine = runtime.engine  # type: ignore[attr-defined]
    round_ = 0
    with engine.begin() as connection:
        count = connection.execute(text("SELECT count(*) FROM complaint")).scalar_one()
        while count < target:
            round_ += 1
            copy = min(count, target - count)
            connection.execute(
                text(
                    f"INSERT INTO complaint (code, {COLUMNS}) "
                    f"SELECT substr(code, 1, 9) || '-' || :round || '-' || id, {COLUMNS} "
                    "FROM complaint ORDER BY id LIMIT :copy"
                ),
                {"round": round_, "copy": copy},
            )
            count += copy


def timed(client: TestClient, path: str, requests: int) -> tuple[float, float]:
    took = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(path)
        took.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    took.sort()
    return statistics.median(took), took[int(0.95 * (len(took) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--filed", type=int, default=500)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--rapor-rounds", type=int, default=5)
    args = parser.parse_args()
    print(load())
    with tempfile.TemporaryDirectory() as tmp:
        runtime = build_runtime(ROOT / "config.yaml", f"sqlite:///{tmp}/bench.db", migrate=True)
        started = time.perf_counter()
        for n in range(args.filed):
            runtime.pipeline.handle(inbound(n))
        age(runtime)
        grow(runtime, args.filed, args.complaints)
        last = runtime.pipeline.handle(inbound(args.filed))
        print(f"{args.complaints + 1} complaints stored in {time.perf_counter() - started:.0f} s")
        if args.no_cache:
            runtime.config.public.map_cache_seconds = 0
        adapters, _ = build_adapters(runtime.config.channels, env={})
        runtime.config.http.rate_limits = type(runtime.config.http.rate_limits)(
            **dict.fromkeys(runtime.config.http.rate_limits.model_dump(), "1000000/minute")
        )
        client = TestClient(create_app(runtime, adapters), base_url="http://127.0.0.1")
        pages = [
            "/lapor",
            f"/lacak/{last.complaint_code}?secret={last.tracking_secret}",
            f"/lacak/{last.complaint_code}",
            "/peta",
            "/peta.json",
        ]
        for path in pages:
            timed(client, path, 3)  # warm
            p50, p95 = timed(client, path, args.requests)
            print(f"{path.split('?')[0]:<22} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
        rapor(runtime, args.rapor_rounds)
        print(load())


if __name__ == "__main__":
    main()
