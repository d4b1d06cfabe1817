"""Area queries: the deployment's official area list (see `storage.models.Area`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert
from sqlmodel import Session, select

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


def kecamatan_villages(session: Session) -> dict[str, list[str]]:
    """Kecamatan name -> the names of its desa/kelurahan (empty when none is imported)."""
    kecamatan = {a.code: a.name for a in areas_of_level(session, "kecamatan")}
    found: dict[str, list[str]] = {name: [] for name in kecamatan.values()}
    villages = select(Area.parent_code, Area.name).where(Area.level.in_(VILLAGE_LEVELS))
    for parent, name in session.exec(villages.order_by(Area.code)):
        if parent in kecamatan:
            found[kecamatan[parent]].append(name)
    return found


def area_stamp(session: Session) -> tuple[int, object]:
    """Changes whenever the list is imported again: (rows, time of the last import)."""
    count, last = session.exec(select(func.count(), func.max(Area.imported_at))).one()
    return int(count), last
