"""CLI for reports: `aduan report scorecard`, and `aduan demo seed` to have something to show.

`register(app)` adds the `report` and `demo` groups to the main Typer app.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from aduan.cli.options import DEFAULT_CONFIG, ConfigOption, open_runtime
from dispatch.context import DispatchContext
from dispatch.scorecard import Grouping, OpdScore, Scorecard, build_scorecard, period, to_csv
from storage.engine import transaction

report_app = typer.Typer(help="Reports: the OPD scorecard.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data for trying Aduan out.", no_args_is_help=True)

Day = Annotated[
    datetime | None, typer.Option(formats=["%Y-%m-%d"], help="a day, YYYY-MM-DD (included)")
]

COLUMNS = {
    "id": (
        "OPD",
        "Masuk",
        "Selesai",
        "Tepat",
        "% tepat",
        "Terbuka",
        "Terlambat",
        "Respons (jam)",
        "Penyelesaian (jam)",
        "Rating",
        "Rapor",
    ),
    "en": (
        "OPD",
        "Received",
        "Resolved",
        "On time",
        "% on time",
        "Open",
        "Overdue",
        "Response (h)",
        "Resolution (h)",
        "Rating",
        "Grade",
    ),
}
GRADES = {"id": {"red": "MERAH", "green": "hijau"}, "en": {"red": "RED", "green": "green"}}
TITLE = {
    "id": "Rapor OPD {instance}, {start} s.d. {end} (hijau: minimal {pct:g}% selesai tepat waktu)",
    "en": "OPD scorecard, {instance}, {start} to {end} (green: at least {pct:g}% resolved on time)",
}
OPEN_ENDS = {"id": ("awal", "sekarang"), "en": ("the start", "now")}
NOTE = {
    "id": (
        "% tepat = selesai tepat waktu / (selesai + lewat target dalam periode dan belum "
        "selesai). Respons/Selesai: median jam sejak laporan masuk. Terbuka/Terlambat: saat ini."
    ),
    "en": (
        "% on time = resolved on time / (resolved + fell due in the period and still open). "
        "Response/Resolution: median hours since filing. Open/Overdue: right now."
    ),
}


def register(app: typer.Typer) -> None:
    """Add the report and demo commands to `app`."""
    app.add_typer(report_app, name="report")
    app.add_typer(demo_app, name="demo")


def _number(value: float | None, digits: int = 1, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{suffix}"


def _cells(score: OpdScore, language: str) -> tuple[str, ...]:
    return (
        score.opd,
        str(score.received),
        str(score.resolved),
        str(score.resolved_on_time),
        _number(score.on_time_pct, suffix="%"),
        str(score.open_now),
        str(score.overdue_now),
        _number(score.median_first_response_hours),
        _number(score.median_resolution_hours),
        _number(score.average_rating, 2),
        GRADES[language].get(score.grade, "-"),
    )


def render_table(
    card: Scorecard,
    ctx: DispatchContext,
    language: str,
    since: date | None = None,
    until: date | None = None,
    by: Grouping = "opd",
) -> str:
    """The scorecard as a plain-text table, one OPD (or kecamatan) a line, the total last."""
    language = language if language in COLUMNS else "id"
    start, end = OPEN_ENDS[language]
    title = TITLE[language].format(
        instance=ctx.instance_name,
        start=f"{since:%d-%m-%Y}" if since else start,
        end=f"{until:%d-%m-%Y}" if until else end,
        pct=card.red_threshold * 100,
    )
    header = ("Kecamatan", *COLUMNS[language][1:]) if by == "kecamatan" else COLUMNS[language]
    rows = [header, *(_cells(s, language) for s in [*card.opds, card.total])]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(row: tuple[str, ...]) -> str:
        first = row[0].ljust(widths[0])
        return "  ".join(
            [first, *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True))]
        )

    rule = "-" * len(line(rows[0]))
    body = [line(r) for r in rows[1:-1]]
    return "\n".join(
        [title, rule, line(rows[0]), rule, *body, rule, line(rows[-1]), NOTE[language]]
    )


@report_app.command("scorecard")
def scorecard_command(
    config: ConfigOption = DEFAULT_CONFIG,
    since: Day = None,
    until: Day = None,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="also write the figures to this CSV file")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    language: Annotated[
        str | None, typer.Option("--lang", help="id or en (default: the instance's)")
    ] = None,
    by: Annotated[
        str, typer.Option("--by", help="opd, or kecamatan: one line per kecamatan named")
    ] = "opd",
) -> None:
    """Per OPD: received, resolved, on time, open, overdue, response times, rating; red or green."""
    runtime = open_runtime(config)
    ctx = runtime.ctx
    first, last = (since.date() if since else None), (until.date() if until else None)
    try:
        start, end = period(first, last, ctx.timezone)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    if by not in ("opd", "kecamatan"):
        typer.echo(f"--by must be opd or kecamatan, not {by!r}", err=True)
        raise typer.Exit(2)
    grouping: Grouping = "kecamatan" if by == "kecamatan" else "opd"
    with transaction(runtime.engine) as session:
        card = build_scorecard(
            session, ctx.opd_names, ctx.sla.red_threshold, datetime.now(UTC), start, end, grouping
        )
    if csv_file is not None:
        csv_file.write_text(to_csv(card), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(card.as_dict(), indent=2, ensure_ascii=False))
        return
    typer.echo(render_table(card, ctx, language or ctx.default_language, first, last, grouping))
    if csv_file is not None:
        typer.echo(f"CSV: {csv_file}")


@demo_app.command("seed")
def demo_seed(
    config: ConfigOption = DEFAULT_CONFIG,
    count: Annotated[int, typer.Option(min=1, help="how many complaints")] = 60,
    days: Annotated[int, typer.Option(min=1, help="over how many past days")] = 28,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same history)")] = 2026,
) -> None:
    """Fill the database with a demo history of complaints (refused if already there)."""
    from aduan.cli.demo_history import AlreadySeeded, seed_demo_history

    runtime = open_runtime(config, migrate=True)
    try:
        summary = seed_demo_history(runtime, count=count, days=days, seed=seed)
    except AlreadySeeded as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"seeded {summary.complaints} demo complaints ({summary.duplicates} linked duplicates) "
        f"over {days} days into {runtime.engine.url!r}; see `aduan report scorecard`"
    )
