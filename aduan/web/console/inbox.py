"""The inbox: a staff member's OPD's complaints (an admin's: all), counted by status, overdue
first, searched and filtered, a page at a time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from aduan.api.deps import RuntimeDep, SessionDep
from aduan.complaints.codes import find_code
from aduan.web.console.auth import StaffDep
from aduan.web.templating import render
from aduan.web.timefmt import form_day
from channels.registry import REGISTRY
from storage.areas import kecamatan_names
from storage.console import InboxFilter, inbox_page, status_counts
from storage.models import OPEN_STATUSES, Status

router = APIRouter(prefix="/console", include_in_schema=False)
PER_PAGE = 25
STATUSES = [s.value for s in Status]


@router.get("")
def inbox(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    staff: StaffDep,
    status: Annotated[str, Query(max_length=32)] = "open",
    q: Annotated[str, Query(max_length=200)] = "",
    category: Annotated[str, Query(max_length=64)] = "",
    channel: Annotated[str, Query(max_length=32)] = "",
    kecamatan: Annotated[str, Query(max_length=128)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    zone = runtime.ctx.timezone
    status = status if status in ("open", "all", *STATUSES) else "open"
    words = q.strip()
    code = find_code(words) if words else None
    first, last = form_day(since), form_day(until)
    wanted = InboxFilter(
        opd=None if staff.role == "admin" else staff.opd or "",
        status=status,
        code=code,
        text=None if code else words or None,
        category=category or None,
        channel=channel or None,
        kecamatan=kecamatan.strip() or None,
        # Days are the instance's local days.
        since=datetime.combine(first, time(), zone).astimezone(UTC) if first else None,
        until=(
            datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC)
            if last
            else None
        ),
    )
    now = datetime.now(UTC)
    counts = status_counts(session, wanted)
    rows, total = inbox_page(session, wanted, now, (page - 1) * PER_PAGE, PER_PAGE)
    params: dict[str, Any] = {
        "status": status,
        "q": words,
        "category": category,
        "channel": channel,
        "kecamatan": kecamatan.strip(),
        "since": since,
        "until": until,
    }

    def link(**changes: Any) -> str:
        merged = {**params, "page": 1, **changes}
        return "/console?" + urlencode({k: v for k, v in merged.items() if v not in ("", None)})

    open_count = sum(n for s, n in counts.items() if s in {o.value for o in OPEN_STATUSES})
    chips = [
        ("open", open_count),
        *((s, counts.get(s, 0)) for s in STATUSES if counts.get(s)),
        ("all", sum(counts.values())),
    ]
    context = {
        "rows": rows,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
        "chips": chips,
        "params": params,
        "link": link,
        "now": now,
        "open_statuses": {s.value for s in OPEN_STATUSES},
        "categories": sorted(runtime.rules().ruleset.categories),
        "channels": sorted(REGISTRY),
        "kecamatan_names": kecamatan_names(session),
    }
    template = (
        "console/inbox_results.html"
        if request.headers.get("hx-target") == "results"
        else ("console/inbox.html")
    )
    return render(request, template, context)
