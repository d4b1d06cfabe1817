"""The OPD scorecard on a seeded history, every figure checked against a hand computation."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from aduan.api import reports
from aduan.api.app import create_app
from aduan.cli.reports import register
from aduan.runtime import Runtime, build_runtime
from channels.registry import build_adapters
from dispatch.scorecard import build_scorecard, period
from storage.engine import transaction
from storage.models import Complaint, Contact
from tests.support.deployment import write_config

FIXED_NOW = datetime(2026, 4, 1, 5, 0, tzinfo=UTC)  # 12:00 in Jakarta
H = timedelta(hours=1)

# name, OPD, status, and times in hours relative to now: created, due, first response,
# resolved; rating; the complaint it duplicates.
HISTORY: list[tuple[str, str, str, int, int, int | None, int | None, int | None, str | None]] = [
    # DPUPR: slow, and one complaint left to rot.
    ("d1", "DPUPR", "resolved", -200, -152, -190, -160, 5, None),  # on time
    ("d2", "DPUPR", "resolved", -300, -252, -280, -200, 2, None),  # late
    ("d3", "DPUPR", "resolved", -100, -52, -96, -40, None, None),  # late
    ("d4", "DPUPR", "in_progress", -80, -32, -74, None, None, None),  # fell due, still open
    ("d5", "DPUPR", "routed", -10, 38, None, None, None, None),  # not due yet
    ("d6", "DPUPR", "routed", -1000, -952, None, None, None, None),  # filed long before
    ("d7", "DPUPR", "routed", -50, -2, None, None, None, "d5"),  # duplicate: not counted
    ("d8", "DPUPR", "resolved", -900, -852, -880, -150, 1, None),  # old one, resolved late
    # DLH: prompt; exactly at the 80% threshold.
    ("l1", "DLH", "resolved", -120, -72, -119, -100, 5, None),
    ("l2", "DLH", "resolved", -60, -12, -58, -30, 4, None),
    ("l3", "DLH", "resolved", -50, -2, -47, -1, 3, None),  # an hour late
    ("l4", "DLH", "resolved", -30, 18, -29, -20, None, None),
    ("l5", "DLH", "rejected", -5, 43, -4, None, None, None),
    ("l6", "DLH", "resolved", -40, 8, -36, -35, 5, None),
    # SATPOLPP: answers nothing.
    ("s1", "SATPOLPP", "routed", -200, -128, None, None, None, None),
    ("s2", "SATPOLPP", "routed", -150, -78, None, None, None, None),
    ("s3", "SATPOLPP", "routed", -20, 52, None, None, None, None),
]

# The same figures worked out by hand (period: the last 30 days up to today).
EXPECTED = {
    "DPUPR": {
        "received": 5,  # d1-d5 (d6 and d8 were filed earlier, d7 is a duplicate)
        "resolved": 4,  # d1, d2, d3, d8
        "resolved_on_time": 1,  # d1
        "due_unresolved": 1,  # d4 (d6 fell due before the period)
        "on_time_pct": 20.0,  # 1 / (4 + 1)
        "open_now": 3,  # d4, d5, d6
        "overdue_now": 2,  # d4, d6
        "median_first_response_hours": 8.0,  # d3 4, d4 6, d1 10, d2 20 (d8's was earlier)
        "median_resolution_hours": 80.0,  # d1 40, d3 60, d2 100, d8 750
        "average_rating": 2.67,  # (5 + 2 + 1) / 3
        "ratings": 3,
        "grade": "red",
        "red": True,
    },
    "DLH": {
        "received": 6,
        "resolved": 5,  # all but the rejected l5
        "resolved_on_time": 4,  # l3 was an hour late
        "due_unresolved": 0,
        "on_time_pct": 80.0,  # 4 / 5: not under the threshold, so green
        "open_now": 0,
        "overdue_now": 0,
        "median_first_response_hours": 1.5,  # 1, 1, 1, 2, 3, 4
        "median_resolution_hours": 20.0,  # l6 5, l4 10, l1 20, l2 30, l3 49
        "average_rating": 4.25,  # (5 + 4 + 3 + 5) / 4
        "ratings": 4,
        "grade": "green",
        "red": False,
    },
    "SATPOLPP": {
        "received": 3,
        "resolved": 0,
        "resolved_on_time": 0,
        "due_unresolved": 2,  # s1, s2
        "on_time_pct": 0.0,  # 0 / (0 + 2): ignoring complaints is red
        "open_now": 3,
        "overdue_now": 2,
        "median_first_response_hours": None,
        "median_resolution_hours": None,
        "average_rating": None,
        "ratings": 0,
        "grade": "red",
        "red": True,
    },
    "DAMKAR": {
        "received": 0,
        "resolved": 0,
        "resolved_on_time": 0,
        "due_unresolved": 0,
        "on_time_pct": None,  # nothing to judge: neither red nor green
        "open_now": 0,
        "overdue_now": 0,
        "median_first_response_hours": None,
        "median_resolution_hours": None,
        "average_rating": None,
        "ratings": 0,
        "grade": "none",
        "red": False,
    },
    "TOTAL": {
        "received": 14,
        "resolved": 9,
        "resolved_on_time": 5,
        "due_unresolved": 3,
        "on_time_pct": 41.7,  # 5 / 12
        "open_now": 6,
        "overdue_now": 4,
        "median_first_response_hours": 3.5,  # 1 1 1 2 3 | 4 4 6 10 20
        "median_resolution_hours": 40.0,  # 5 10 20 30 [40] 49 60 100 750
        "average_rating": 3.57,  # 25 / 7
        "ratings": 7,
        "grade": "red",
        "red": True,
    },
}


def seed_history(engine: Engine, now: datetime) -> None:
    def at(hours: int | None) -> datetime | None:
        return None if hours is None else now + hours * H

    ids: dict[str, int | None] = {}
    with transaction(engine) as session:
        for name, opd, status, created, due, response, resolved, rating, dup in HISTORY:
            contact = Contact(channel="web", address=f"warga-{name}")
            session.add(contact)
            session.flush()
            complaint = Complaint(
                code=f"ADU-{name.upper():X<5}",
                contact_id=contact.id,
                channel="web",
                text=f"laporan {name}",
                category="lainnya",
                opd=opd,
                status=status,
                created_at=at(created),
                updated_at=at(created),
                due_at=at(due),
                first_response_at=at(response),
                resolved_at=at(resolved),
                rating=rating,
                duplicate_of_id=ids[dup] if dup else None,
            )
            session.add(complaint)
            session.flush()
            ids[name] = complaint.id


def last_30_days(now: datetime, runtime: Runtime) -> tuple[date, date]:
    today = now.astimezone(runtime.ctx.timezone).date()
    return today - timedelta(days=30), today


@pytest.fixture
def runtime(tmp_path: Path, database_url: str) -> Runtime:
    return build_runtime(write_config(tmp_path / "config.yaml"), database_url, migrate=True)


def figures(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in EXPECTED["DPUPR"]}


def by_opd(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rows = {row["opd"]: figures(row) for row in card["opds"]}
    rows["TOTAL"] = figures(card["total"])
    return rows


def test_scorecard_matches_the_hand_computation(runtime: Runtime) -> None:
    seed_history(runtime.engine, FIXED_NOW)
    since, until = period(*last_30_days(FIXED_NOW, runtime), runtime.ctx.timezone)
    with transaction(runtime.engine) as session:
        card = build_scorecard(session, runtime.ctx.opd_names, 0.8, FIXED_NOW, since, until)
    rows = by_opd(card.as_dict())
    for opd, expected in EXPECTED.items():
        assert rows[opd] == expected, opd
    assert list(rows)[: len(runtime.ctx.opd_names)] == list(runtime.ctx.opd_names)
    assert card.opds[0].name == "Dinas Pekerjaan Umum dan Penataan Ruang"


def test_an_earlier_period_counts_what_happened_then(runtime: Runtime) -> None:
    seed_history(runtime.engine, FIXED_NOW)
    today = FIXED_NOW.date()
    since, until = period(
        today - timedelta(days=45), today - timedelta(days=35), runtime.ctx.timezone
    )
    with transaction(runtime.engine) as session:
        card = build_scorecard(session, runtime.ctx.opd_names, 0.8, FIXED_NOW, since, until)
    dpupr = card.opds[0]
    assert (dpupr.received, dpupr.resolved, dpupr.due_unresolved) == (2, 0, 1)  # d6, d8; d6
    assert (dpupr.on_time_pct, dpupr.grade) == (0.0, "red")
    assert dpupr.median_first_response_hours == 20  # d8's, given in that period
    assert (dpupr.open_now, dpupr.overdue_now) == (3, 2)  # "now" whatever the period
    assert card.total.received == 2


def test_threshold_decides_red_or_green(runtime: Runtime) -> None:
    seed_history(runtime.engine, FIXED_NOW)
    with transaction(runtime.engine) as session:
        lenient = build_scorecard(session, runtime.ctx.opd_names, 0.2, FIXED_NOW)
    grades = {s.opd: s.grade for s in lenient.opds}
    # All time: DPUPR 1 on time of 4 resolved + d4 + d6 fallen due = 1/6, under 20%.
    assert (grades["DPUPR"], grades["DLH"], grades["SATPOLPP"]) == ("red", "green", "red")


@pytest.fixture
def cli(runtime: Runtime, tmp_path: Path, database_url: str) -> Iterator[Any]:
    app = typer.Typer()
    register(app)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> Any:
        config = str(tmp_path / "config.yaml")
        result = runner.invoke(
            app, [*args, "--config", config], env={"ADUAN_DATABASE_URL": database_url}
        )
        assert result.exit_code == code, result.output
        return result

    yield invoke


def test_cli_prints_the_table_and_writes_csv(runtime: Runtime, cli: Any, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    seed_history(runtime.engine, now)
    since, until = last_30_days(now, runtime)
    out = tmp_path / "rapor.csv"
    result = cli(
        "report", "scorecard", "--since", f"{since}", "--until", f"{until}", "--csv", str(out)
    )
    lines = result.output.splitlines()
    assert lines[0] == (
        f"Rapor OPD Pemerintah Kabupaten Contoh, {since:%d-%m-%Y} s.d. {until:%d-%m-%Y} "
        "(hijau: minimal 80% selesai tepat waktu)"
    )
    table = {line.split()[0]: line.split()[1:] for line in lines[1:] if line[:1].isupper()}
    assert table["DPUPR"] == ["5", "4", "1", "20.0%", "3", "2", "8.0", "80.0", "2.67", "MERAH"]
    assert table["DLH"] == ["6", "5", "4", "80.0%", "0", "0", "1.5", "20.0", "4.25", "hijau"]
    assert table["SATPOLPP"] == ["3", "0", "0", "0.0%", "3", "2", "-", "-", "-", "MERAH"]
    assert table["DAMKAR"] == ["0", "0", "0", "-", "0", "0", "-", "-", "-", "-"]
    assert table["TOTAL"] == ["14", "9", "5", "41.7%", "6", "4", "3.5", "40.0", "3.57", "MERAH"]

    with out.open(encoding="utf-8") as handle:
        rows = {row["opd"]: row for row in csv.DictReader(handle)}
    assert rows["DPUPR"]["on_time_pct"] == "20.0" and rows["DPUPR"]["red"] == "True"
    assert rows["SATPOLPP"]["median_resolution_hours"] == ""
    assert rows["TOTAL"]["received"] == "14"
    assert rows["DLH"]["name"] == "Dinas Lingkungan Hidup"

    english = cli("report", "scorecard", "--since", f"{since}", "--lang", "en").output
    assert "OPD scorecard, Pemerintah Kabupaten Contoh" in english and "% on time" in english
    assert " RED" in english and "green" in english


def test_cli_json_and_refused_period(runtime: Runtime, cli: Any, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    seed_history(runtime.engine, now)
    since, until = last_30_days(now, runtime)
    card = json.loads(cli("report", "scorecard", "--since", f"{since}", "--json").output)
    assert by_opd(card)["DLH"] == EXPECTED["DLH"] and card["red_threshold"] == 0.8

    bad = cli("report", "scorecard", "--since", f"{until}", "--until", f"{since}", code=2)
    assert "is after until" in bad.output


def test_api_serves_the_scorecard_publicly(runtime: Runtime) -> None:
    now = datetime.now(UTC)
    seed_history(runtime.engine, now)
    since, until = last_30_days(now, runtime)
    adapters, _ = build_adapters(runtime.config.channels, env={})
    app = create_app(runtime, adapters)
    if not any(getattr(r, "path", "") == "/api/v1/reports/scorecard" for r in app.routes):
        app.include_router(reports.router)
    with TestClient(app) as client:
        response = client.get(f"/api/v1/reports/scorecard?since={since}&until={until}")
        assert response.status_code == 200, response.text
        card = response.json()
        rows = by_opd(card)
        for opd, expected in EXPECTED.items():
            assert rows[opd] == expected, opd
        assert card["since"].startswith(f"{since}T00:00:00+07:00")
        assert card["until"].startswith(f"{until + timedelta(days=1)}T00:00:00+07:00")

        backwards = client.get(f"/api/v1/reports/scorecard?since={until}&until={since}")
        assert backwards.status_code == 422 and "is after until" in backwards.json()["error"]
        assert client.get("/api/v1/reports/scorecard?since=kemarin").status_code == 422


def test_demo_history_gives_the_scorecard_something_to_show(runtime: Runtime, cli: Any) -> None:
    seeded = cli("demo", "seed", "--count", "60")
    duplicates = int(re.search(r"\((\d+) linked duplicates\)", seeded.output).group(1))  # type: ignore[union-attr]
    card = json.loads(cli("report", "scorecard", "--json").output)
    assert card["total"]["received"] == 60 - duplicates
    assert {"red", "green"} <= {row["grade"] for row in card["opds"]}
    assert card["total"]["resolved"] > 20 and card["total"]["open_now"] > 0

    again = cli("demo", "seed", code=1)
    assert "already in this database" in again.output
