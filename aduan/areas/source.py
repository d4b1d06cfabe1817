"""Read one regency's areas from the npm package `idn-area-data` (Kemendagri codes, ODbL).

The package ships four CSV files under `data/`: provinces (code, name), regencies (code,
province_code, name), districts — the kecamatan — (code, regency_code, name) and villages
(code, district_code, name). A village code ends in a 4-digit number whose first digit tells a
kelurahan (1) from a desa (2).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from storage.areas import AreaRow

DATA = Path(__file__).parent / "node_modules" / "idn-area-data" / "data"
FILES = ("provinces.csv", "regencies.csv", "districts.csv", "villages.csv")
_PREFIXES = {"kab": "kabupaten", "kab.": "kabupaten", "kabupaten": "kabupaten", "kota": "kota"}


class AreaSourceError(Exception):
    """The package is missing, or the regency asked for is unknown or ambiguous."""


def _rows(data: Path, name: str) -> Iterator[dict[str, str]]:
    path = data / name
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            yield from csv.DictReader(handle)
    except FileNotFoundError:
        raise AreaSourceError(
            f"{path} not found: install the area data with `scripts/setup` "
            "(npm ci in aduan/areas) or pass --data DIR"
        ) from None


def _plain(name: str) -> str:
    return " ".join(name.lower().replace(".", ". ").split())


def _spelled(name: str) -> str:
    """'Kab. Bandung' and 'kabupaten bandung' alike."""
    words = _plain(name).split()
    if words and words[0] in _PREFIXES:
        words[0] = _PREFIXES[words[0]]
    return " ".join(words)


def find_regency(wanted: str, data: Path = DATA) -> dict[str, str]:
    """The regency row for a code ("32.04", "3204") or a name ("Kabupaten Bandung", "kab
    bandung", or just "sumedang" when only one regency is called so)."""
    regencies = list(_rows(data, "regencies.csv"))
    code = wanted.strip()
    if code.replace(".", "").isdigit():
        digits = code.replace(".", "")
        found = [r for r in regencies if r["code"].replace(".", "") == digits]
    else:
        spelled = _spelled(code)
        found = [r for r in regencies if _spelled(r["name"]) == spelled]
        if not found:
            found = [r for r in regencies if _spelled(r["name"]).split(" ", 1)[-1] == spelled]
    if len(found) == 1:
        return found[0]
    if not found:
        raise AreaSourceError(f"no regency {wanted!r} in the area list")
    names = ", ".join(f"{r['name']} ({r['code']})" for r in found)
    raise AreaSourceError(f"{wanted!r} is ambiguous: {names}; give the code or the full name")


def village_level(code: str) -> str:
    """'kelurahan' or 'desa', from the Kemendagri village code."""
    return "kelurahan" if code.rsplit(".", 1)[-1].startswith("1") else "desa"


def regency_areas(wanted: str, data: Path = DATA) -> list[AreaRow]:
    """The province, the regency, its kecamatan and their desa/kelurahan, by code."""
    regency = find_regency(wanted, data)
    province = next(
        (r for r in _rows(data, "provinces.csv") if r["code"] == regency["province_code"]), None
    )
    rows: list[AreaRow] = []
    if province is not None:
        rows.append(AreaRow(province["code"], None, "province", province["name"]))
    rows.append(AreaRow(regency["code"], regency["province_code"], "regency", regency["name"]))
    districts = {
        r["code"]: r for r in _rows(data, "districts.csv") if r["regency_code"] == regency["code"]
    }
    rows += [AreaRow(c, r["regency_code"], "kecamatan", r["name"]) for c, r in districts.items()]
    rows += [
        AreaRow(r["code"], r["district_code"], village_level(r["code"]), r["name"])
        for r in _rows(data, "villages.csv")
        if r["district_code"] in districts
    ]
    return rows
