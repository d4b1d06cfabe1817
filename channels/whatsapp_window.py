"""WhatsApp's 24-hour customer-service window, shared by every WhatsApp channel.

Free-form messages may only be sent within 24 hours of the citizen's last message; outside that
window WhatsApp accepts only pre-approved templates, whichever provider carries the message.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

SERVICE_WINDOW = timedelta(hours=24)


def outside_window(last_inbound_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether the window is closed; unknown means still open (the citizen just wrote)."""
    if last_inbound_at is None:
        return False
    if last_inbound_at.tzinfo is None:
        last_inbound_at = last_inbound_at.replace(tzinfo=UTC)
    return (now or datetime.now(UTC)) - last_inbound_at >= SERVICE_WINDOW


def template_parameter(text: str, limit: int = 1024) -> str:
    """Text as a template parameter: WhatsApp refuses newlines, tabs and runs of spaces."""
    return " ".join(text.split())[:limit]
