"""Public reports: the OPD scorecard as JSON, for transparency (like Jakarta's report cards)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from fastapi import APIRouter

from aduan.api.deps import RuntimeDep, SessionDep, error
from dispatch.scorecard import build_scorecard, period

router = APIRouter(prefix="/api/v1/reports", tags=["public reports"])


@router.get("/scorecard", summary="Each OPD's scorecard for a period (no token needed)")
def scorecard(
    session: SessionDep,
    runtime: RuntimeDep,
    since: date | None = None,
    until: date | None = None,
    by: Literal["opd", "kecamatan"] = "opd",
) -> dict:
    """Figures per OPD (or, `by=kecamatan`, per kecamatan named) and in total; `since`/`until`
    are whole local days, both included."""
    ctx = runtime.ctx
    try:
        start, end = period(since, until, ctx.timezone)
    except ValueError as exc:
        raise error(422, str(exc)) from exc
    card = build_scorecard(
        session, ctx.opd_names, ctx.sla.red_threshold, datetime.now(UTC), start, end, by
    )
    return card.as_dict()
