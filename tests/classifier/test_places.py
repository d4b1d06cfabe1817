"""Kecamatan and desa names from the official list (Kabupaten Bandung, real idn-area-data):
prefixes, spellings, typos, and a desa name shared by several kecamatan."""

from __future__ import annotations

from functools import cache

import pytest

from aduan.areas.source import regency_areas
from classifier import RuleSet, classify, compile_rules
from classifier.places import Gazetteer
from storage.areas import group_by_kecamatan


@cache
def bandung_list() -> dict[str, list[str]]:
    """Kecamatan -> desa/kelurahan of Kabupaten Bandung, from the installed package."""
    rows = regency_areas("32.04")
    return group_by_kecamatan((r.code, r.parent_code, r.level, r.name) for r in rows)


@cache
def bandung() -> Gazetteer:
    return Gazetteer.build(bandung_list())


def where(text: str) -> tuple[str | None, str | None] | None:
    place = bandung().locate(text)
    return (place.kecamatan, place.desa) if place else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # prefixes and their abbreviations
        ("jalan rusak di Kecamatan Soreang", ("Soreang", None)),
        ("jalan rusak di kec. soreang", ("Soreang", None)),
        ("lampu mati di Kel. Jelekong", ("Baleendah", "Jelekong")),
        ("lampu mati di kelurahan andir", ("Baleendah", "Andir")),
        ("sampah di Desa Rancamanyar", ("Baleendah", "Rancamanyar")),
        ("sampah di ds. rancamanyar", ("Baleendah", "Rancamanyar")),
        ("rumah saya RT 02/RW 05 Rancamanyar kebanjiran", ("Baleendah", "Rancamanyar")),
        ("RT 03 RW 11 Desa Cangkuang Kulon", ("Dayeuhkolot", "Cangkuang Kulon")),
        # written as one word or two, without a marker
        ("warga Bale Endah mengeluh", ("Baleendah", None)),
        ("banjir di dayeuh kolot lagi", ("Dayeuhkolot", None)),
        ("macet di solokanjeruk", ("Solokanjeruk", None)),
        # typos
        ("jalan rusak di kec. soreng", ("Soreang", None)),
        ("banjir di kecamtan dayeuhkolot", ("Dayeuhkolot", None)),
        ("pungli di rancaekk", ("Rancaekek", None)),
        ("pju mati di desa rancamanyr", ("Baleendah", "Rancamanyar")),
        ("kelurahn jelekong banjir", ("Baleendah", "Jelekong")),
        # a kecamatan and a desa inside it, in either order
        ("Desa Sukamaju Kec. Majalaya jalan rusak", ("Majalaya", "Sukamaju")),
        ("kecamatan cileunyi desa cibiru wetan", ("Cileunyi", "Cibiru Wetan")),
        # an address pasted without its line breaks
        ("Kab. BandungKec. PameungpeukDs.bojong kunciKp. Sukarame", ("Pameungpeuk", "Bojongkunci")),
        # a name written right beats a near miss elsewhere ("bundaran" is not "banjaran")
        ("Di bundaran ABC Cipacing Cileunyi ada toko jamu palsu", ("Cileunyi", None)),
        # a shared desa name that is also a kecamatan's: its namesake desa, the seat
        ("Aparat Desa Margaasih mempersulit warga", ("Margaasih", "Margaasih")),
    ],
)
def test_names_the_place(text: str, expected: tuple[str | None, str | None]) -> None:
    assert where(text) == expected


def test_a_desa_sharedgroup_by_kecamatan_is_resolved_by_context_or_left_open() -> None:
    kecamatan = {k for k, villages in bandung_list().items() if "Sukamaju" in villages}
    assert len(kecamatan) > 1  # the real list has several Sukamaju
    assert where("jalan rusak di desa Sukamaju") == (None, "Sukamaju")
    for kec in sorted(kecamatan):
        assert where(f"jalan rusak di desa Sukamaju kecamatan {kec}") == (kec, "Sukamaju")


@pytest.mark.parametrize(
    "text",
    [
        "kepala desa tidak melayani warga",  # a marker with no name after it
        "jalan rusak parah sudah lama",  # everyday words are never places
        "kantor kelurahan sering tutup",
        "saya tinggal di babakan",  # a desa named like an everyday word needs its marker
        "jalan di soreng rusak",  # short names are corrected only after a marker
    ],
)
def test_names_no_place(text: str) -> None:
    assert where(text) is None


def test_desa_named_like_a_word_counts_after_its_marker() -> None:
    place = bandung().locate("jalan rusak di desa babakan")
    assert place is not None and place.desa == "Babakan"


def test_classify_reports_the_place_and_routes_by_it() -> None:
    rules = RuleSet.model_validate(
        {
            "categories": {
                "kecamatan": {"opd": "KECAMATAN", "name": {"id": "Kecamatan"},
                              "keywords": {"kepala desa": 2}},
                "jalan": {"opd": "DPUTR", "name": {"id": "Jalan"}, "keywords": {"jalan rusak": 3}},
                "lainnya": {"opd": "TRIAGE", "name": {"id": "Lainnya"}},
            },
            "settings": {"areas": {"categories": ["kecamatan"], "places": {
                "baleendah": {"office": "KEC-BALEENDAH"}, "soreang": {"office": "KEC-SOREANG"},
            }}},
        }
    )  # fmt: skip
    compiled = compile_rules(rules, bandung())
    # A desa alone names its kecamatan, whose office handles village matters; the rules' own
    # area table knows only kecamatan names.
    text = "kepala desa di ds. rancamanyar tidak melayani"
    result = classify(text, compiled)
    assert (result.category, result.opd) == ("kecamatan", "KEC-BALEENDAH")
    assert result.as_dict()["area"] == {"kecamatan": "Baleendah", "desa": "Rancamanyar"}
    assert classify(text, compile_rules(rules)).opd == "KECAMATAN"
    assert classify("kepala desa di kec. soreng", compiled).opd == "KEC-SOREANG"
    # Other categories keep their OPD but still say where.
    road = classify("jalan rusak di desa rancamanyar", compiled)
    assert road.opd == "DPUTR" and road.where() == {"kecamatan": "Baleendah", "desa": "Rancamanyar"}
    assert classify("jalan rusak", compiled).as_dict()["area"] is None
