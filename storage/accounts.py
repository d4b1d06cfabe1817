"""Queries on console accounts (staff with a sign-in) and their sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.models import ConsoleSession, Event, Staff


def staff_by_login(session: Session, login: str) -> Staff | None:
    return session.exec(select(Staff).where(Staff.login == login)).first()


def accounts(session: Session) -> Sequence[Staff]:
    """Every staff member with a console login, by login."""
    return session.exec(
        select(Staff).where(col(Staff.login).is_not(None)).order_by(col(Staff.login))
    ).all()


def admin_exists(session: Session) -> bool:
    query = select(Staff.id).where(
        Staff.role == "admin", col(Staff.active), col(Staff.login).is_not(None)
    )
    return session.exec(query).first() is not None


def add_session(session: Session, staff_id: int, token_hash: str, now: datetime) -> None:
    session.add(
        ConsoleSession(token_hash=token_hash, staff_id=staff_id, created_at=now, last_seen_at=now)
    )


def live_session(session: Session, token_hash: str) -> tuple[ConsoleSession, Staff] | None:
    """The session with this token's hash and its active staff member, unless it ended."""
    row = session.exec(
        select(ConsoleSession, Staff)
        .join(Staff, col(Staff.id) == col(ConsoleSession.staff_id))
        .where(ConsoleSession.token_hash == token_hash)
        .where(col(ConsoleSession.ended_at).is_(None))
        .where(Staff.active)
    ).first()
    return (row[0], row[1]) if row is not None else None


def end_sessions(
    session: Session, now: datetime, staff_id: int | None = None, token_hash: str | None = None
) -> None:
    """End one session (by its token's hash) or every session of a staff member."""
    query = update(ConsoleSession).where(col(ConsoleSession.ended_at).is_(None))
    if token_hash is not None:
        query = query.where(col(ConsoleSession.token_hash) == token_hash)
    if staff_id is not None:
        query = query.where(col(ConsoleSession.staff_id) == staff_id)
    session.connection().execute(query.values(ended_at=now))


def touch_session(session: Session, session_id: int, now: datetime) -> None:
    session.connection().execute(
        update(ConsoleSession).where(col(ConsoleSession.id) == session_id).values(last_seen_at=now)
    )


def audit(
    session: Session, kind: str, actor: str, note: str, complaint_id: int | None = None
) -> None:
    """An audit event of the console (sign-in, refusal...), with or without a complaint."""
    session.add(Event(complaint_id=complaint_id, kind=kind, actor=actor, note=note))
