"""The console map: every located complaint a staff member may see (an admin: all), coloured
by status, filtered by category, OPD, kecamatan, status and period, clustered; a click opens it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from aduan.api.deps import RuntimeDep, SessionDep
from aduan.web.console.auth import StaffDep
from aduan.web.i18n import page_language
from aduan.web.templating import render
from aduan.web.timefmt import form_day
from storage.areas import kecamatan_names
from storage.console import InboxFilter, located_complaints
from storage.models import Staff, Status

router = APIRouter(prefix="/console/map", include_in_schema=False)
MAX_POINTS = 100_000  # what one page may draw; the count says when more match
STATUSES = [s.value for s in Status]
Short = Annotated[str, Query(max_length=64)]


def map_filter(
    staff: Staff,
    zone: ZoneInfo,
    category: str,
    opd: str,
    status: str,
    since: str,
    until: str,
    kecamatan: str = "",
) -> InboxFilter:
    """What the map shows: staff see their own OPD's complaints whatever `opd` says."""
    first, last = form_day(since), form_day(until)
    return InboxFilter(
        opd=(opd.strip().upper() or None) if staff.role == "admin" else staff.opd or "",
        status=status if status in ("open", *STATUSES) else "all",
        category=category or None,
        kecamatan=kecamatan.strip() or None,
        since=datetime.combine(first, time(), zone).astimezone(UTC) if first else None,
        until=(
            datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC)
            if last
            else None
        ),
    )


@router.get("")
def map_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    staff: StaffDep,
    category: Short = "",
    opd: Short = "",
    status: Short = "all",
    kecamatan: Annotated[str, Query(max_length=128)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    params = {
        "category": category,
        "opd": opd,
        "status": status,
        "kecamatan": kecamatan.strip(),
        "since": since,
        "until": until,
    }
    query = urlencode({k: v for k, v in params.items() if v})
    language = page_language(request, runtime.config.instance.default_language)
    context: dict[str, Any] = {
        "params": params,
        "points_url": f"/console/map/points?{query}",
        "inbox_url": f"/console?{query}",
        "categories": sorted(runtime.rules().ruleset.categories),
        "opds": sorted(code for code in runtime.ctx.opd_names if code != "TRIAGE"),
        "statuses": STATUSES,
        "status_names": {code: runtime.ctx.status_name(language, code) for code in STATUSES},
        "maps": runtime.config.maps,
        "kecamatan_names": kecamatan_names(session),
    }
    return render(request, "console/map.html", context)


@router.get("/points")
def map_points(
    session: SessionDep,
    runtime: RuntimeDep,
    staff: StaffDep,
    category: Short = "",
    opd: Short = "",
    status: Short = "all",
    kecamatan: Annotated[str, Query(max_length=128)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The markers, compactly: [code, lat, lon, status, category] each."""
    wanted = map_filter(staff, runtime.ctx.timezone, category, opd, status, since, until, kecamatan)
    rows = located_complaints(session, wanted, MAX_POINTS + 1)
    points = [
        [code, round(lat, 6), round(lon, 6), state, cat]
        for code, lat, lon, state, cat in rows[:MAX_POINTS]
    ]
    return JSONResponse(
        {"points": points, "more": len(rows) > MAX_POINTS},
        headers={"Cache-Control": "private, no-store"},
    )
