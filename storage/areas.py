"""Area queries: the deployment's official area list (see `storage.models.Area`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.models import Area, utcnow

VILLAGE_LEVELS = ("desa", "kelurahan")


@dataclass(frozen=True)
class AreaRow:
    code: str
    parent_code: str | None
    level: str
    name: str


def replace_areas(session: Session, rows: Iterable[AreaRow]) -> int:
    """Make `rows` the whole area list (one deployment, one regency); how many were stored."""
    now = utcnow()
    values = [
        {"code": r.code, "parent_code": r.parent_code, "level": r.level, "name": r.name,
         "imported_at": now}
        for r in rows
    ]  # fmt: skip
    session.execute(delete(Area))
    if values:
        session.execute(insert(Area), values)
    return len(values)


def areas_of_level(session: Session, level: str) -> list[Area]:
    """The areas of one level, by code."""
    return list(session.exec(select(Area).where(Area.level == level).order_by(Area.code)))


def kecamatan_names(session: Session) -> list[str]:
    """The kecamatan of the area list, by name (empty before an import)."""
    query = select(Area.name).where(Area.level == "kecamatan").order_by(Area.name)
    return list(session.exec(query))


def kecamatan_villages(session: Session) -> dict[str, list[str]]:
    """Kecamatan name -> the names of its desa/kelurahan (empty when none is imported)."""
    rows = session.exec(select(Area.code, Area.parent_code, Area.level, Area.name))
    return group_by_kecamatan(sorted(rows))


def group_by_kecamatan(rows: Iterable[tuple[str, str | None, str, str]]) -> dict[str, list[str]]:
    """Kecamatan name -> its villages' names, from (code, parent, level, name) rows by code."""
    rows = list(rows)
    kecamatan = {code: name for code, _, level, name in rows if level == "kecamatan"}
    found: dict[str, list[str]] = {name: [] for name in kecamatan.values()}
    for _, parent, level, name in rows:
        if level in VILLAGE_LEVELS and parent in kecamatan:
            found[kecamatan[parent]].append(name)
    return found


def peek_areas(engine: Engine, known: object = None) -> tuple[object, dict[str, list[str]]] | None:
    """The list's stamp and kecamatan -> desa/kelurahan names, if the stamp is not `known`.

    Reads on a plain DBAPI connection, outside any transaction, as `storage.rules.peek_newest`
    does (the pipeline asks while its own session may hold SQLite's write lock).
    """
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT count(*), max(imported_at) FROM area")
        stamp = tuple(cursor.fetchone() or (0, None))
        if stamp == known:
            return None
        cursor.execute("SELECT code, parent_code, level, name FROM area ORDER BY code")
        rows = cursor.fetchall()
    finally:
        connection.close()
    return stamp, group_by_kecamatan(rows)


def area_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Code -> official name of those of `codes` in the area list."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return dict(session.exec(select(Area.code, Area.name).where(col(Area.code).in_(wanted))).all())
