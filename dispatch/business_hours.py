"""Due times that count only working hours, in the instance's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dispatch.policy import BusinessHours


def due_at_for(
    created_at: datetime,
    hours: float,
    business_hours: BusinessHours | None,
    tz: ZoneInfo,
) -> datetime:
    """When a complaint filed at `created_at` with an SLA of `hours` falls due.

    Without business hours the clock runs day and night. With them it runs only on working
    days between `start` and `end` local time: a complaint filed outside them starts its
    clock at the next opening, and a deadline that lands exactly on closing time stays there
    rather than moving to the next morning. The result is in UTC.
    """
    if business_hours is None:
        return created_at + timedelta(hours=hours)
    if not business_hours.weekdays or business_hours.end <= business_hours.start:
        raise ValueError("business hours need at least one weekday and an end after the start")
    remaining = timedelta(hours=hours)
    cursor = created_at.astimezone(tz)
    day = cursor.date()
    while True:
        if day.weekday() in business_hours.weekdays:
            opens = datetime.combine(day, business_hours.start, tzinfo=tz)
            closes = datetime.combine(day, business_hours.end, tzinfo=tz)
            start = max(cursor, opens)
            if start < closes or (start == closes and not remaining):
                # Arithmetic in UTC: local wall-clock sums go wrong across DST changes.
                available = closes.astimezone(UTC) - start.astimezone(UTC)
                if remaining <= available:
                    return start.astimezone(UTC) + remaining
                remaining -= available
        day += timedelta(days=1)
        cursor = datetime.combine(day, datetime.min.time(), tzinfo=tz)
