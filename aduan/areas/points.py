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
    found = place_of_point(session, location, boundaries)
    if found is None:
        return result
    text = result.place
    if found.desa is None and text is not None and text.kecamatan == found.kecamatan:
        found = replace(found, desa=text.desa)
    return replace(result, place=found)


def place_of_point(
    session: Session, location: Location | None, boundaries: Boundaries | None
) -> Place | None:
    """The kecamatan (and desa, when the file has it) of `location`, by the area list's
    names; None when there is no file or point, or the point lies in no known polygon."""
    if boundaries is None or location is None or location.lat is None or location.lon is None:
        return None
    found = boundaries.locate(location.lat, location.lon)
    if found is None:
        return None
    names = area_names(session, [c for c in (found.kecamatan, found.desa) if c])
    kecamatan = names.get(found.kecamatan)
    if kecamatan is None:
        return None
    desa = names.get(found.desa) if found.desa else None
    return Place(kecamatan, desa, f"gps {location.lat:.5f},{location.lon:.5f}")
