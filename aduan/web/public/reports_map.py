"""The public map and list (`/peta`, `/peta.json`), with each OPD's report card beside it.

Only categories the rules in force mark `public` (never `pungli`), only reports whose category
is settled, of the last `public.map_days` days. Everything is anonymised as in Open311: no
name, no contact, e-mail addresses, phone numbers and long numbers (NIK) scrubbed from the
text and address, the place exact or rounded as the category's rules say. No photos: a
photo may show faces, houses or number plates.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from aduan.anonymise import public_point, scrub
from aduan.api.deps import RuntimeDep, SessionDep
from aduan.open311.services import PUBLIC_STATUSES, location_decimals, public_categories
from aduan.runtime import Runtime
from aduan.web.i18n import page_language
from aduan.web.templating import render
from aduan.web.timefmt import local_time
from dispatch.scorecard import OpdScore, build_scorecard
from storage.open311 import RequestFilter, RequestRow, service_requests

router = APIRouter(include_in_schema=False)
MAX_TEXT = 280  # the list shows the gist; the whole text is the citizen's to share
NO_OPD = "TRIAGE"


def _item(row: RequestRow, runtime: Runtime, language: str) -> dict[str, Any]:
    complaint, names = row.complaint, [row.citizen_name]
    rules, settings, ctx = runtime.rules(), runtime.config.public, runtime.ctx
    decimals = location_decimals(rules, complaint.category, settings.rounded_decimals)
    lat, lon = public_point(complaint.location_lat, complaint.location_lon, decimals)
    text = scrub(complaint.text, names) or ""
    return {
        "code": complaint.code,
        "category": complaint.category,
        "category_label": ctx.category_name(language, complaint.category),
        "status": complaint.status,
        "status_label": ctx.status_name(language, complaint.status),
        "opd_name": ctx.opd_name(complaint.opd),
        "text": text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…",
        "address": scrub(complaint.location_address, names),
        "lat": lat,
        "lon": lon,
        "rounded": decimals is not None,
        "created_at": complaint.created_at.isoformat(),
        "created_local": local_time(complaint.created_at, ctx.timezone),
    }


def public_reports(session: Session, runtime: Runtime, language: str) -> list[dict[str, Any]]:
    """The reports the public may see, newest first, anonymised."""
    settings = runtime.config.public
    rows = service_requests(
        session,
        RequestFilter(
            categories=public_categories(runtime.rules()),
            statuses=PUBLIC_STATUSES,
            start=datetime.now(UTC) - timedelta(days=settings.map_days),
            limit=settings.map_limit,
        ),
    )
    return [_item(row, runtime, language) for row in rows]


def report_card(session: Session, runtime: Runtime) -> list[OpdScore]:
    """Each OPD's figures over the map's period (not the triage queue: it is no agency)."""
    ctx, now = runtime.ctx, datetime.now(UTC)
    since = now - timedelta(days=runtime.config.public.map_days)
    card = build_scorecard(session, ctx.opd_names, ctx.sla.red_threshold, now, since)
    return [score for score in card.opds if score.opd != NO_OPD]


def _language(request: Request, runtime: Runtime) -> str:
    return page_language(request, runtime.config.instance.default_language)


@router.get("/peta")
def map_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    language = _language(request, runtime)
    context = {
        "reports": public_reports(session, runtime, language),
        "card": report_card(session, runtime),
        "maps": runtime.config.maps,
    }
    return render(request, "public/map.html", context)


@router.get("/peta.json")
def map_data(request: Request, session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    """The same, for the map's script and anyone's own use."""
    language = _language(request, runtime)
    return JSONResponse(
        {
            "reports": public_reports(session, runtime, language),
            "report_card": [score.as_dict() for score in report_card(session, runtime)],
        }
    )
