"""Which kecamatan (and desa) a GPS point lies in, from the admin's boundary file (GeoJSON).

The file is named by config.yaml only (`areas.boundaries`), read once at start-up. Each
feature carries a Kemendagri code in a property (`areas.code_property`, default `code`):
three parts (`32.04.32`) make it a kecamatan, four (`32.04.32.1004`) a desa/kelurahan. The
polygons are prepared and kept in an STRtree, so a lookup tests only the few polygons whose
bounding box holds the point.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}(\.\d{4})?$")


class BoundaryError(Exception):
    """The boundary file is unreadable, or a feature is not a coded (multi)polygon."""


@dataclass(frozen=True)
class PointArea:
    """The codes of the areas a point lies in (`desa` None when the file has no desa there)."""

    kecamatan: str
    desa: str | None


def area_code(value: object) -> str | None:
    """A Kemendagri kecamatan or village code, dotted ('32.04.32', '3204321004' alike)."""
    text = str(value).strip() if isinstance(value, str | int) else ""
    if text.isdigit() and len(text) in (6, 10):
        parts = [text[0:2], text[2:4], text[4:6]] + ([text[6:]] if len(text) == 10 else [])
        text = ".".join(parts)
    return text if _CODE.match(text) else None


class Boundaries:
    """Coded polygons, ready for `locate`."""

    def __init__(self, features: list[tuple[str, BaseGeometry]]) -> None:
        self._codes = [code for code, _ in features]
        self._shapes = [geometry for _, geometry in features]
        shapely.prepare(self._shapes)
        self._tree = shapely.STRtree(self._shapes)

    def __len__(self) -> int:
        return len(self._codes)

    @classmethod
    def read(cls, path: Path, code_property: str = "code") -> Boundaries:
        """The features of the GeoJSON file at `path`; BoundaryError names what is wrong."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise BoundaryError(f"cannot read {path}: {exc.strerror}") from None
        except ValueError as exc:
            raise BoundaryError(f"{path} is not JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
            raise BoundaryError(f"{path} is not a GeoJSON FeatureCollection")
        features = data.get("features")
        if not isinstance(features, list) or not features:
            raise BoundaryError(f"{path} has no features")
        return cls([_feature(path, i, f, code_property) for i, f in enumerate(features)])

    def locate(self, lat: float, lon: float) -> PointArea | None:
        """The kecamatan (and desa) whose polygon covers the point; None outside them all.

        A desa polygon gives its kecamatan by its code; where polygons overlap (a shared
        border), the lowest code wins, so the answer never depends on the file's order.
        """
        point = Point(lon, lat)
        hits = sorted(
            self._codes[i] for i in self._tree.query(point) if self._shapes[i].covers(point)
        )
        desa = next((code for code in hits if code.count(".") == 3), None)
        if desa is not None:
            return PointArea(desa.rsplit(".", 1)[0], desa)
        kecamatan = next((code for code in hits if code.count(".") == 2), None)
        return PointArea(kecamatan, None) if kecamatan else None


def _feature(
    path: Path, index: int, feature: object, code_property: str
) -> tuple[str, BaseGeometry]:
    where = f"{path}: feature {index}"
    if not isinstance(feature, dict):
        raise BoundaryError(f"{where} is not a GeoJSON Feature")
    properties = feature.get("properties") or {}
    code = area_code(properties.get(code_property)) if isinstance(properties, dict) else None
    if code is None:
        raise BoundaryError(
            f"{where}: property {code_property!r} is no kecamatan or desa code like 32.04.32"
        )
    try:
        geometry = shape(feature.get("geometry") or {})
    except (ValueError, TypeError, AttributeError, KeyError, shapely.errors.ShapelyError) as exc:
        raise BoundaryError(f"{where} ({code}): bad geometry: {exc}") from None
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty:
        raise BoundaryError(f"{where} ({code}): a {geometry.geom_type}, not a polygon")
    return code, geometry
