"""The OPD scorecard ("rapor"): how each OPD handles its complaints over a period.

Each figure counts what happened inside the period [since, until):

- received: complaints filed in the period;
- resolved: complaints resolved in the period (whenever filed), and of those, resolved on
  time (resolved_at <= due_at);
- due_unresolved: complaints that fell due in the period and are still open now;
- on-time % = resolved on time / (resolved + due_unresolved). Counting the ignored ones as
  late is deliberate: an OPD must not look better by leaving complaints open than by
  resolving them late. With nothing to count (nothing resolved, nothing fell due unresolved)
  there is no share: shown as "-", neither red nor green;
- median first response: from filing to the OPD's first action, for first actions in the
  period; median resolution: from filing to resolution, for resolutions in the period;
- average rating: of the complaints resolved in the period that the citizen rated;
- open and overdue: a snapshot at report time (`now`), whatever the period.

An OPD is red when its on-time share is under the threshold. Complaints count for the OPD
holding them now (after any reassignment); duplicates linked to another complaint are left
out.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session

from storage.scorecard import (
    GroupCounts,
    Grouping,
    Measure,
    Middle,
    group_counts,
    middles,
    score_rows,
)

TOTAL = "TOTAL"
UNKNOWN_AREA = "-"  # complaints whose text named no kecamatan, in a scorecard by kecamatan
Grade = Literal["red", "green", "none"]


@dataclass(frozen=True)
class OpdScore:
    opd: str
    name: str
    received: int
    resolved: int
    resolved_on_time: int
    due_unresolved: int
    on_time_pct: float | None
    open_now: int
    overdue_now: int
    median_first_response_hours: float | None
    median_resolution_hours: float | None
    average_rating: float | None
    ratings: int
    grade: Grade

    @property
    def red(self) -> bool:
        return self.grade == "red"

    def as_dict(self) -> dict[str, Any]:
        """JSON/CSV form, rounded for reading: percentages and hours to 0.1, ratings to 0.01."""
        row = asdict(self)
        for name, digits in (
            ("on_time_pct", 1),
            ("median_first_response_hours", 1),
            ("median_resolution_hours", 1),
            ("average_rating", 2),
        ):
            if row[name] is not None:
                row[name] = round(row[name], digits)
        row["red"] = self.red
        return row


@dataclass(frozen=True)
class Scorecard:
    since: datetime | None
    until: datetime
    generated_at: datetime
    red_threshold: float
    opds: list[OpdScore]
    total: OpdScore

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "red_threshold": self.red_threshold,
            "opds": [score.as_dict() for score in self.opds],
            "total": self.total.as_dict(),
        }


@dataclass(frozen=True)
class Week:
    """One local week (Monday first): complaints received and resolved in it."""

    start: date
    received: int
    resolved: int


def to_csv(card: Scorecard) -> str:
    """One row per OPD and a TOTAL row, with the JSON field names as header."""
    rows = [s.as_dict() for s in [*card.opds, card.total]]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def weekly_trend(
    session: Session, since: datetime, until: datetime, tz: ZoneInfo, opd: str | None = None
) -> list[Week]:
    """Received and resolved per local week from `since` to `until` (duplicates left out)."""

    def monday(moment: datetime) -> date:
        day = moment.astimezone(tz).date()
        return day - timedelta(days=day.weekday())

    first, last = monday(since), monday(until - timedelta(microseconds=1))
    weeks = {first + timedelta(weeks=n): [0, 0] for n in range((last - first).days // 7 + 1)}
    for row in score_rows(session, since, until):
        if opd is not None and row.opd != opd:
            continue
        if since <= row.created_at < until:
            weeks[monday(row.created_at)][0] += 1
        if row.resolved_at is not None and since <= row.resolved_at < until:
            weeks[monday(row.resolved_at)][1] += 1
    return [Week(start, received, resolved) for start, (received, resolved) in weeks.items()]


def period(
    since: date | None, until: date | None, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """Whole local days: from the start of `since` to the end of `until` (both included)."""
    if since and until and since > until:
        raise ValueError(f"since ({since}) is after until ({until})")
    try:
        start = datetime.combine(since, time(), tzinfo=tz) if since else None
        end = datetime.combine(until + timedelta(days=1), time(), tzinfo=tz) if until else None
        for moment in (start, end):  # compared in UTC, as stored: the very first and last
            if moment is not None:  # days a date can name do not fit there
                moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("since or until is out of range") from None
    return start, end


def _hours(start: datetime, end: datetime) -> float:
    return (end - start) / timedelta(hours=1)


def _graded(
    opd: str,
    name: str,
    counts: GroupCounts,
    first_response: float | None,
    resolution: float | None,
    threshold: float,
) -> OpdScore:
    """One line of the scorecard from its counts and medians: the share and the grade."""
    counted = counts.resolved + counts.due_unresolved
    share = counts.resolved_on_time / counted if counted else None
    grade: Grade = "none" if share is None else ("red" if share < threshold else "green")
    return OpdScore(
        opd=opd,
        name=name,
        received=counts.received,
        resolved=counts.resolved,
        resolved_on_time=counts.resolved_on_time,
        due_unresolved=counts.due_unresolved,
        on_time_pct=None if share is None else 100 * share,
        open_now=counts.open_now,
        overdue_now=counts.overdue_now,
        median_first_response_hours=first_response,
        median_resolution_hours=resolution,
        average_rating=counts.rating_sum / counts.ratings if counts.ratings else None,
        ratings=counts.ratings,
        grade=grade,
    )


def _middle_median(rows: Iterable[Middle]) -> dict[str | None, float]:
    """The median per group (`TOTAL` for all together) from its one or two middle complaints."""
    hours: dict[str | None, list[float]] = {}
    for row in rows:
        hours.setdefault(TOTAL if row.overall else row.group, []).append(_hours(row.start, row.end))
    return {group: statistics.fmean(values) for group, values in hours.items()}


def _groups(
    counts: Mapping[str | None, GroupCounts], opd_names: Mapping[str, str], by: Grouping
) -> list[tuple[str | None, str, str]]:
    """(group, code, name) of each line: every configured OPD, then any other holding
    complaints; or the kecamatan named, by name, with those naming none last."""
    if by == "kecamatan":
        lines: list[tuple[str | None, str, str]] = [
            (k, k, k) for k in sorted(k for k in counts if k is not None)
        ]
        return lines + ([(None, UNKNOWN_AREA, UNKNOWN_AREA)] if None in counts else [])
    others = sorted({g for g in counts if g is not None} - set(opd_names))
    return [(code, code, opd_names.get(code, code)) for code in [*opd_names, *others]]


def build_scorecard(
    session: Session,
    opd_names: Mapping[str, str],
    red_threshold: float,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    by: Grouping = "opd",
    categories: list[str] | None = None,
) -> Scorecard:
    """The scorecard of every OPD in `opd_names` (and any other holding complaints), added up
    by the database (a few small queries, never every complaint read); `by` kecamatan: one
    line per kecamatan named (`UNKNOWN_AREA` for the rest); only `categories` when given."""
    end = until or now
    counts = {c.group: c for c in group_counts(session, since, end, now, categories, by)}

    def medians(measure: Measure) -> dict[str | None, float]:
        return _middle_median(middles(session, since, end, measure, categories, by))

    first, resolution = medians("first_response"), medians("resolution")
    empty = GroupCounts(None, 0, 0, 0, 0, 0, 0, 0, 0)

    def score(group: str | None, code: str, name: str, tally: GroupCounts) -> OpdScore:
        return _graded(code, name, tally, first.get(group), resolution.get(group), red_threshold)

    sums = [sum(column) for column in zip(*(c[1:] for c in counts.values()), strict=True)]
    total = GroupCounts(TOTAL, *sums) if counts else empty
    return Scorecard(
        since=since,
        until=end,
        generated_at=now,
        red_threshold=red_threshold,
        opds=[
            score(group, code, name, counts.get(group, empty))
            for group, code, name in _groups(counts, opd_names, by)
        ],
        total=score(TOTAL, TOTAL, TOTAL, total),
    )
