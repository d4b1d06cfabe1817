"""The scorecard computed the simple way, from every complaint's times: the oracle the
database's sums (`dispatch.scorecard.build_scorecard`) are checked against."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from dispatch.scorecard import TOTAL, UNKNOWN_AREA, OpdScore, Scorecard, _graded, _hours
from storage.models import OPEN_STATUSES
from storage.scorecard import GroupCounts, Grouping, ScoreRow, score_rows


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _score(
    opd: str,
    name: str,
    rows: Iterable[ScoreRow],
    inside: Any,
    now: datetime,
    threshold: float,
) -> OpdScore:
    rows = list(rows)
    resolved = [r for r in rows if r.resolved_at is not None and inside(r.resolved_at)]
    on_time = [
        r for r in resolved if r.due_at is None or (r.resolved_at and r.resolved_at <= r.due_at)
    ]
    open_now = [r for r in rows if r.status in OPEN_STATUSES]
    overdue = [r for r in open_now if r.due_at is not None and r.due_at <= now]
    due_unresolved = [r for r in overdue if r.due_at is not None and inside(r.due_at)]
    ratings = [r.rating for r in resolved if r.rating is not None]
    counts = GroupCounts(
        group=opd,
        received=sum(1 for r in rows if inside(r.created_at)),
        resolved=len(resolved),
        resolved_on_time=len(on_time),
        due_unresolved=len(due_unresolved),
        open_now=len(open_now),
        overdue_now=len(overdue),
        ratings=len(ratings),
        rating_sum=sum(ratings),
    )
    first_response = _median(
        [
            _hours(r.created_at, r.first_response_at)
            for r in rows
            if r.first_response_at is not None and inside(r.first_response_at)
        ]
    )
    resolution = _median([_hours(r.created_at, r.resolved_at) for r in resolved if r.resolved_at])
    return _graded(opd, name, counts, first_response, resolution, threshold)


def scorecard_from_rows(
    session: Session,
    opd_names: Mapping[str, str],
    red_threshold: float,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    by: Grouping = "opd",
) -> Scorecard:
    """The scorecard of every OPD in `opd_names` (and any other holding complaints); `by`
    kecamatan: one line per kecamatan named by the complaints (`UNKNOWN_AREA` for the rest)."""
    end = until or now

    def inside(moment: datetime) -> bool:
        return (since is None or moment >= since) and moment < end

    rows = score_rows(session, since, end)
    if by == "kecamatan":
        names: Mapping[str, str] = {}
        codes = sorted(
            {r.kecamatan or UNKNOWN_AREA for r in rows}, key=lambda k: (k == UNKNOWN_AREA, k)
        )

        def group(row: ScoreRow) -> str:
            return row.kecamatan or UNKNOWN_AREA
    else:
        names = opd_names
        codes = list(opd_names) + sorted({r.opd for r in rows} - set(opd_names))

        def group(row: ScoreRow) -> str:
            return row.opd

    scores = [
        _score(
            code,
            names.get(code, code),
            (r for r in rows if group(r) == code),
            inside,
            now,
            red_threshold,
        )
        for code in codes
    ]
    total = _score(TOTAL, TOTAL, rows, inside, now, red_threshold)
    return Scorecard(
        since=since,
        until=end,
        generated_at=now,
        red_threshold=red_threshold,
        opds=scores,
        total=total,
    )
