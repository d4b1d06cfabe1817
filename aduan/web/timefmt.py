"""Times as people in the instance read them: local time with its zone (WIB, WITA, WIT)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from aduan.web.i18n import translate

EARLIEST_DAY, LATEST_DAY = date(1970, 1, 1), date(2999, 12, 31)  # outside: nonsense


def form_day(value: str | None) -> date | None:
    """A day typed in a filter (`2026-12-01`); None when empty, malformed or absurd (year 1
    does not even fit in UTC once it is a local midnight)."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and EARLIEST_DAY <= day <= LATEST_DAY else None


def local_time(moment: datetime | None, zone: ZoneInfo, with_date: bool = True) -> str:
    """`02-12-2026 14:05 WIB`; "-" for no time. Naive datetimes are taken as UTC."""
    if moment is None:
        return "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone)
    shown = f"{local:%d-%m-%Y %H:%M}" if with_date else f"{local:%H:%M}"
    return f"{shown} {local.tzname()}"


def iso_local(moment: datetime | None, zone: ZoneInfo) -> str:
    """The machine-readable form for `<time datetime=...>`, in local time with its offset."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).isoformat(timespec="minutes")


def countdown(due: datetime | None, language: str, now: datetime | None = None) -> str:
    """How long until `due` ("2 hari 3 jam lagi") or how late it is ("terlambat 5 jam")."""
    if due is None:
        return "-"
    if due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    seconds = (due - (now or datetime.now(UTC))).total_seconds()
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        span = translate(language, "time_days_hours", days=days, hours=hours)
    elif hours:
        span = translate(language, "time_hours_minutes", hours=hours, minutes=mins)
    else:
        span = translate(language, "time_minutes", minutes=mins)
    return translate(language, "time_left" if seconds >= 0 else "time_late", span=span)
