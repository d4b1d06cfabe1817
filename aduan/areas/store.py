"""The area list in the database: import a regency's, read it back as the classifier's data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from aduan.areas.source import DATA, regency_areas
from classifier.places import Gazetteer
from storage.areas import kecamatan_villages, replace_areas
from storage.engine import transaction


def import_areas(engine: Engine, regency: str, data: Path = DATA) -> Counter[str]:
    """Replace the area list with `regency`'s; how many areas of each level were stored."""
    rows = regency_areas(regency, data)
    with transaction(engine) as session:
        replace_areas(session, rows)
    return Counter(row.level for row in rows)


def load_gazetteer(session: Session) -> Gazetteer | None:
    """The imported kecamatan and desa names, ready for the classifier; None before an import."""
    kecamatan = kecamatan_villages(session)
    return Gazetteer.build(kecamatan) if kecamatan else None
