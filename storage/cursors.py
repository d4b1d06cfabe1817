"""Polling channels' positions, stored so a restart continues where it stopped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlmodel import Session, select

from storage.models import ChannelCursor


class Cursor(Protocol):
    """A channel's position (e.g. `channels.contract.Cursor`), known here by its shape only."""

    @property
    def key(self) -> str: ...

    @property
    def value(self) -> str: ...


def load_cursor(session: Session, channel: str, key: str) -> str | None:
    row = session.exec(
        select(ChannelCursor)
        .where(ChannelCursor.channel == channel)
        .where(ChannelCursor.key == key)
    ).first()
    return row.value if row else None


def save_cursor(session: Session, channel: str, cursor: Cursor) -> None:
    row = session.exec(
        select(ChannelCursor)
        .where(ChannelCursor.channel == channel)
        .where(ChannelCursor.key == cursor.key)
    ).first()
    if row is None:
        row = ChannelCursor(channel=channel, key=cursor.key, value=cursor.value)
    row.value = cursor.value
    row.updated_at = datetime.now(UTC)
    session.add(row)
