"""Queries on routing-rule versions: the newest, the history, a new version, edits serialised."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.models import RuleVersion

# Serialises rule edits on PostgreSQL (SQLite's BEGIN IMMEDIATE already does).
_PG_LOCK_KEY = 0x41D0A11
PG_EDIT_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def lock_rule_edits(session: Session) -> None:
    """Hold the rule-edit lock until the session's transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(PG_EDIT_LOCK, {"key": _PG_LOCK_KEY})


def newest_version(session: Session) -> RuleVersion | None:
    return session.exec(select(RuleVersion).order_by(col(RuleVersion.id).desc()).limit(1)).first()


def newest_versions(session: Session, limit: int) -> Sequence[RuleVersion]:
    """The newest `limit` versions, newest first."""
    return session.exec(select(RuleVersion).order_by(col(RuleVersion.id).desc()).limit(limit)).all()


def version_by_id(session: Session, version_id: int) -> RuleVersion | None:
    return session.get(RuleVersion, version_id)


def insert_version(session: Session, rules: dict[str, Any], author: str, note: str) -> RuleVersion:
    """A new version row, flushed so it has its id."""
    row = RuleVersion(rules=rules, author=author[:255], note=note)
    session.add(row)
    session.flush()
    return row


def peek_newest(engine: Engine, known: int | None) -> tuple[int, dict[str, Any]] | None:
    """The newest version's id and rules JSON, if it is not `known`.

    Reads on a plain DBAPI connection, outside any transaction: the pipeline asks while its own
    session may hold SQLite's write lock, which a new transaction would wait on.
    """
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT max(id) FROM ruleversion")
        (newest,) = cursor.fetchone() or (None,)
        if newest is None or newest == known:
            return None
        cursor.execute(f"SELECT rules FROM ruleversion WHERE id = {int(newest)}")
        row = cursor.fetchone()
        if row is None:  # only a deleted version could vanish between the two reads
            return None
        (rules,) = row
        data = json.loads(rules) if isinstance(rules, str | bytes) else rules
        return int(newest), data
    finally:
        connection.close()
