"""The public map and list (`/peta`, `/peta.json`), with each OPD's report card beside it.

Only categories the rules in force mark `public` (never `pungli`), only reports whose category
is settled, of the last `public.map_days` days. Everything is anonymised as in Open311: no
name, no contact, e-mail addresses, phone numbers and long numbers (NIK) scrubbed from the
text and address, the place exact or rounded as the category's rules say. No photos: a
photo may show faces, houses or number plates. A report linked to another as the same problem
is shown once, as the original.

What the page shows is computed at most every `public.map_cache_seconds` per language (in this
process): the public view need not be live. The rapor is added up by the database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from aduan.anonymise import public_point, scrub
from aduan.api.deps import RuntimeDep, SessionDep
from aduan.open311.services import PUBLIC_STATUSES, location_decimals, public_categories
from aduan.rules.rulebook import Rulebook
from aduan.runtime import Runtime
from aduan.web.i18n import page_language
from aduan.web.templating import render
from aduan.web.timefmt import local_time
from dispatch.scorecard import OpdScore, build_scorecard
from storage.public import PublicRow, public_rows

router = APIRouter(include_in_schema=False)
MAX_TEXT = 280  # the list shows the gist; the whole text is the citizen's to share
NO_OPD = "TRIAGE"


def _item(row: PublicRow, runtime: Runtime, rules: Rulebook, language: str) -> dict[str, Any]:
    names, settings, ctx = [row.citizen_name], runtime.config.public, runtime.ctx
    decimals = location_decimals(rules, row.category, settings.rounded_decimals)
    lat, lon = public_point(row.lat, row.lon, decimals)
    text = scrub(row.text, names) or ""
    return {
        "code": row.code,
        "category": row.category,
        "category_label": ctx.category_name(language, row.category),
        "status": row.status,
        "status_label": ctx.status_name(language, row.status),
        "opd_name": ctx.opd_name(row.opd),
        "text": text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…",
        "address": scrub(row.address, names),
        "lat": lat,
        "lon": lon,
        "rounded": decimals is not None,
        "created_at": row.created_at.isoformat(),
        "created_local": local_time(row.created_at, ctx.timezone),
    }


def public_reports(session: Session, runtime: Runtime, language: str) -> list[dict[str, Any]]:
    """The reports the public may see, newest first, anonymised."""
    settings, rules = runtime.config.public, runtime.rules()
    rows = public_rows(
        session,
        public_categories(rules),
        PUBLIC_STATUSES,
        since=datetime.now(UTC) - timedelta(days=settings.map_days),
        limit=settings.map_limit,
    )
    return [_item(row, runtime, rules, language) for row in rows]


def report_card(session: Session, runtime: Runtime) -> list[OpdScore]:
    """Each OPD's figures over the map's period, counting only the public categories: how
    many pungli reports came in is no one's business but the inspectors' (nor is an OPD
    that handles only those listed). Not the triage queue: it is no agency."""
    ctx, now, rules = runtime.ctx, datetime.now(UTC), runtime.rules()
    since = now - timedelta(days=runtime.config.public.map_days)
    public = public_categories(rules)
    handling = {rules.ruleset.categories[code].opd for code in public}
    card = build_scorecard(
        session, ctx.opd_names, ctx.sla.red_threshold, now, since, categories=public
    )
    return [
        score
        for score in card.opds
        if score.opd != NO_OPD
        and (score.opd in handling or score.received or score.resolved or score.open_now)
    ]


@dataclass(frozen=True)
class Snapshot:
    """The public view in one language at one moment."""

    made: float  # time.monotonic()
    reports: list[dict[str, Any]]
    card: list[OpdScore]


def snapshot(request: Request, session: Session, runtime: Runtime) -> Snapshot:
    """The public view in the visitor's language, at most `map_cache_seconds` old."""
    language = page_language(request, runtime.config.instance.default_language)
    state = request.app.state
    cache: dict[str, Snapshot] | None = getattr(state, "public_map", None)
    if cache is None:
        cache = state.public_map = {}
    now, fresh_for = time.monotonic(), runtime.config.public.map_cache_seconds
    kept = cache.get(language)
    if kept is not None and now - kept.made < fresh_for:
        return kept
    made = Snapshot(now, public_reports(session, runtime, language), report_card(session, runtime))
    cache[language] = made
    return made


@router.get("/peta")
def map_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    view = snapshot(request, session, runtime)
    context = {"reports": view.reports, "card": view.card, "maps": runtime.config.maps}
    return render(request, "public/map.html", context)


@router.get("/peta.json")
def map_data(request: Request, session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    """The same, for the map's script and anyone's own use."""
    view = snapshot(request, session, runtime)
    card = [score.as_dict() for score in view.card]
    return JSONResponse({"reports": view.reports, "report_card": card})
