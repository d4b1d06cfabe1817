"""A complaint's GPS point names its kecamatan: the point wins over the text when it lies in a
polygon of the boundary file (a pin is set where the problem is; a name in the text may be a
landmark elsewhere or a typo). Outside every polygon, or with no file, the text decides."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from aduan.areas.boundaries import Boundaries
from channels.message import Location
from classifier import Classification
from classifier.places import Place
from storage.areas import area_names


def placed_by_point(
    session: Session,
    result: Classification,
    location: Location | None,
    boundaries: Boundaries | None,
) -> Classification:
    """`result` with the kecamatan and desa of `location`, when the boundary file places it.

    The names are the area list's (`aduan areas import`); a code the list lacks places
    nothing. When the file has no desa there, the desa the text names is kept if it lies in
    the same kecamatan.
    """
    if boundaries is None or location is None or location.lat is None or location.lon is None:
        return result
    found = boundaries.locate(location.lat, location.lon)
    if found is None:
        return result
    names = area_names(session, [c for c in (found.kecamatan, found.desa) if c])
    kecamatan = names.get(found.kecamatan)
    if kecamatan is None:
        return result
    desa = names.get(found.desa) if found.desa else None
    text = result.place
    if desa is None and text is not None and text.kecamatan == kecamatan:
        desa = text.desa
    where = f"gps {location.lat:.5f},{location.lon:.5f}"
    return replace(result, place=Place(kecamatan, desa, where))
