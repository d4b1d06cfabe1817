"""Queries on the deployment a database belongs to."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlmodel import Session, col, select

from storage.models import Deployment


def owner(session: Session) -> str | None:
    """The instance that claimed the database; None before any did (or before migrations)."""
    if not inspect(session.connection()).has_table(str(Deployment.__tablename__)):
        return None
    return session.exec(select(Deployment.instance).order_by(col(Deployment.id))).first()


def claim(session: Session, instance: str) -> None:
    """Record `instance` as the owner (the database is unclaimed, or being renamed)."""
    row = session.exec(select(Deployment).order_by(col(Deployment.id))).first()
    if row is None:
        row = Deployment(instance=instance)
    row.instance = instance
    session.add(row)
