"""The rapor merah: the OPD scorecard of `aduan report scorecard` for a chosen period, red or
green per OPD (or, `by=kecamatan`, per kecamatan named), a chart of each line's on-time share
and of the weekly trend, and its CSV."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from aduan.api.deps import RuntimeDep, SessionDep
from aduan.runtime import Runtime
from aduan.web.console.auth import StaffDep
from aduan.web.templating import render
from aduan.web.timefmt import form_day
from dispatch.scorecard import (
    Grouping,
    Scorecard,
    build_scorecard,
    period,
    to_csv,
    weekly_trend,
)
from storage.models import Staff

router = APIRouter(prefix="/console", include_in_schema=False)
DEFAULT_DAYS = 28
MAX_WEEKS = 106  # the trend chart stays readable; longer periods show their last two years
Day = Annotated[str, Query(max_length=10)]
By = Annotated[str, Query(max_length=16)]


def grouping(by: str) -> Grouping:
    """One line per kecamatan when asked so; per OPD otherwise (whatever else is asked)."""
    return "kecamatan" if by == "kecamatan" else "opd"


def chosen_period(runtime: Runtime, since: str, until: str) -> tuple[date, date]:
    """The local days asked for; the last four weeks when none (or nonsense) is given."""
    today = datetime.now(UTC).astimezone(runtime.ctx.timezone).date()
    last = form_day(until) or today
    first = form_day(since) or last - timedelta(days=DEFAULT_DAYS - 1)
    return (first, last) if first <= last else (last, first)


def _scorecard(
    session: Any, runtime: Runtime, first: date, last: date, by: Grouping = "opd"
) -> Scorecard:
    ctx = runtime.ctx
    start, end = period(first, last, ctx.timezone)
    return build_scorecard(
        session, ctx.opd_names, ctx.sla.red_threshold, datetime.now(UTC), start, end, by
    )


def _bars(card: Scorecard) -> list[dict[str, Any]]:
    """The on-time chart's bars: OPDs with a share, in the scorecard's order."""
    return [
        {"opd": s.opd, "name": s.name, "pct": s.on_time_pct, "red": s.red}
        for s in card.opds
        if s.on_time_pct is not None
    ]


@router.get("/report")
def report_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    staff: StaffDep,
    since: Day = "",
    until: Day = "",
    by: By = "opd",
) -> Response:
    first, last = chosen_period(runtime, since, until)
    group = grouping(by)
    card = _scorecard(session, runtime, first, last, group)
    start, end = period(first, last, runtime.ctx.timezone)
    assert start is not None and end is not None
    weeks = weekly_trend(session, start, end, runtime.ctx.timezone)[-MAX_WEEKS:]
    context = {
        "card": card,
        "first": first,
        "last": last,
        "bars": _bars(card),
        "weeks": weeks,
        "top": max([1, *(w.received for w in weeks), *(w.resolved for w in weeks)]),
        "own_opd": _own_opd(staff) if group == "opd" else None,
        "by": group,
    }
    return render(request, "console/report.html", context)


def _own_opd(staff: Staff) -> str | None:
    return None if staff.role == "admin" else staff.opd


@router.get("/report.csv")
def report_csv(
    session: SessionDep,
    runtime: RuntimeDep,
    staff: StaffDep,
    since: Day = "",
    until: Day = "",
    by: By = "opd",
) -> Response:
    first, last = chosen_period(runtime, since, until)
    group = grouping(by)
    card = _scorecard(session, runtime, first, last, group)
    suffix = "-kecamatan" if group == "kecamatan" else ""
    name = f"rapor{suffix}-{first:%Y%m%d}-{last:%Y%m%d}.csv"
    return Response(
        to_csv(card),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
