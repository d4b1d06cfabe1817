"""The rapor merah page says what `aduan report scorecard --json` says, for the same period."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

from aduan.cli.demo_history import seed_demo_history
from tests.console.kit import console_client, sign_in
from tests.support.deployment import aduan_env, run_cli

FIELDS = (
    ("received", 0),
    ("resolved", 0),
    ("resolved_on_time", 0),
    ("on_time_pct", 1),
    ("open_now", 0),
    ("overdue_now", 0),
    ("median_first_response_hours", 1),
    ("median_resolution_hours", 1),
    ("average_rating", 2),
)


def _shown(value: float | int | None, digits: int) -> str:
    if value is None:
        return "-"
    return str(value) if digits == 0 else f"{value:.{digits}f}"


def _rows(html: str) -> dict[str, dict[str, str]]:
    """The scorecard table's cells: OPD -> field -> text."""
    table: dict[str, dict[str, str]] = {}
    for opd, body in re.findall(r'<tr data-opd="([^"]+)"[^>]*>(.*?)</tr>', html, re.S):
        cells = re.findall(r'data-field="([a-z_]+)">(.*?)</td>', body, re.S)
        table[opd] = {name: unescape(re.sub(r"<[^>]+>", "", text)).strip() for name, text in cells}
    return table


def test_the_page_figures_equal_the_cli_json(tmp_path: Path, database_url: str) -> None:
    runtime, client = console_client(tmp_path, database_url)
    seed_demo_history(runtime, count=80, days=40, seed=7)
    zone = runtime.ctx.timezone
    today = datetime.now(UTC).astimezone(zone).date()
    since, until = today - timedelta(days=20), today - timedelta(days=3)

    cli = run_cli(
        [
            "report", "scorecard", "--config", str(tmp_path / "config.yaml"),
            "--since", f"{since}", "--until", f"{until}", "--json",
        ],
        aduan_env(database_url),
        tmp_path,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    card = json.loads(cli.stdout)

    sign_in(client, "sari")
    page = client.get(f"/console/report?since={since}&until={until}")
    assert page.status_code == 200
    table = _rows(page.text)
    scores = [*card["opds"], {**card["total"], "opd": "TOTAL"}]
    assert set(table) == {s["opd"] for s in scores}
    reds = 0
    for score in scores:
        shown = table[score["opd"]]
        for field, digits in FIELDS:
            assert shown[field] == _shown(score[field], digits), (score["opd"], field)
        grade = {"red": "MERAH", "green": "hijau", "none": "-"}[score["grade"]]
        assert shown["grade"] == grade
        reds += score["grade"] == "red"
    assert reds and any(s["grade"] == "green" for s in scores)  # the demo has both

    answer = client.get(f"/console/report.csv?since={since}&until={until}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert f"rapor-{since:%Y%m%d}-{until:%Y%m%d}.csv" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["opd"] for r in rows] == [s["opd"] for s in scores]
    for row, score in zip(rows, scores, strict=True):
        assert row["received"] == str(score["received"])
        assert row["on_time_pct"] == (
            "" if score["on_time_pct"] is None else str(score["on_time_pct"])
        )

    # The weekly chart counts what the period holds: its bars add up to the TOTAL row.
    received = sum(int(n) for n in re.findall(r'data-received="(\d+)"', page.text))
    resolved = sum(int(n) for n in re.findall(r'data-resolved="(\d+)"', page.text))
    assert (received, resolved) == (card["total"]["received"], card["total"]["resolved"])


def test_a_visitor_must_sign_in_for_the_report(tmp_path: Path, sqlite_url: str) -> None:
    _, client = console_client(tmp_path, sqlite_url)
    answer = client.get("/console/report.csv", follow_redirects=False)
    assert answer.status_code == 303 and "/console/signin" in answer.headers["location"]


def test_a_period_at_the_ends_of_the_calendar_is_no_server_error(
    tmp_path: Path, sqlite_url: str
) -> None:
    _, client = console_client(tmp_path, sqlite_url)
    sign_in(client, "sari")
    for query in ("since=0001-01-01", "until=9999-12-31", "since=0001-01-01&until=9999-12-31"):
        # The console takes such a day as no day: the default period, every filter page alike.
        for page in ("/console/report", "/console/report.csv", "/console", "/console/map"):
            assert client.get(f"{page}?{query}").status_code == 200, (page, query)
        assert client.get(f"/console/map/points?{query}").status_code == 200, query
        assert client.get(f"/api/v1/reports/scorecard?{query}").status_code == 422, query
