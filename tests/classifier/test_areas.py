"""The optional area table: a named kecamatan routes village-level matters to its own office."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from classifier import RuleSet, classify, compile_rules
from classifier.evaluate import Example
from classifier.suggest import AREA_TERM, area_weight, features, suggest, to_categories, to_yaml

from .conftest import ROOT


def _rules(**areas: object) -> dict[str, object]:
    table = {
        "categories": ["desa"],
        "weight": 1.0,
        "places": {
            "baleendah": {"office": "KEC-BALEENDAH", "aliases": ["bale endah"]},
            "soreang": {"office": "KEC-SOREANG"},
        },
    }
    table.update(areas)
    return {
        "categories": {
            "desa": {
                "opd": "KECAMATAN",
                "name": {"id": "Desa"},
                "keywords": {"kepala desa": 2, "kantor desa": 2},
            },
            "jalan": {"opd": "DPUTR", "name": {"id": "Jalan"}, "keywords": {"jalan rusak": 3}},
            "lainnya": {"opd": "TRIAGE", "name": {"id": "Lainnya"}},
        },
        "settings": {"areas": table},
    }


def test_named_area_routes_area_category_to_its_office() -> None:
    rules = compile_rules(RuleSet.model_validate(_rules()))
    result = classify("kepala desa di kecamatan Bale Endah tidak melayani warga", rules)
    assert result.category == "desa"
    assert result.opd == "KEC-BALEENDAH" and result.area == "baleendah"
    assert any(m.term == AREA_TERM and m.found_as == "bale endah" for m in result.matched)
    assert result.as_dict()["area"] == {"kecamatan": "baleendah", "desa": None}


def test_other_categories_keep_their_opd_wherever_they_happen() -> None:
    rules = compile_rules(RuleSet.model_validate(_rules()))
    result = classify("jalan rusak parah di soreang", rules)
    assert result.category == "jalan" and result.opd == "DPUTR" and result.area == "soreang"


def test_area_weight_is_evidence_for_area_categories() -> None:
    with_weight = compile_rules(RuleSet.model_validate(_rules(weight=2.5)))
    routing_only = compile_rules(RuleSet.model_validate(_rules(weight=0.0)))
    assert with_weight and classify("warga soreang mengeluh", with_weight).scores == {"desa": 2.5}
    assert classify("warga soreang mengeluh", routing_only).scores == {}


def test_no_area_named_keeps_category_opd() -> None:
    rules = compile_rules(RuleSet.model_validate(_rules()))
    result = classify("kepala desa tidak melayani warga", rules)
    assert result.opd == "KECAMATAN" and result.area is None


def test_ruleset_without_areas_is_unchanged() -> None:
    data = _rules()
    del data["settings"]
    rules = compile_rules(RuleSet.model_validate(data))
    assert rules.rules.settings.areas is None
    assert classify("kepala desa di soreang", rules).opd == "KECAMATAN"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"categories": ["nope"]}, "unknown categories"),
        ({"categories": []}, "at least 1"),
        ({"places": {}}, "at least 1"),
        ({"weight": -1}, "greater than or equal"),
        ({"places": {"a": {"office": "X", "aliases": ["b"]}, "b": {"office": "Y"}}}, "used by"),
        ({"places": {"a": {"office": "X", "aliases": [" "]}}}, "must not be empty"),
    ],
)
def test_invalid_area_table_is_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RuleSet.model_validate(_rules(**change))


def test_per_category_threshold_overrides_the_global_one() -> None:
    data = _rules()
    data["categories"]["jalan"]["threshold"] = 0.99  # type: ignore[index]
    rules = compile_rules(RuleSet.model_validate(data))
    assert classify("jalan rusak", rules).needs_review
    data["categories"]["jalan"]["threshold"] = 0.1  # type: ignore[index]
    assert not classify("jalan rusak", compile_rules(RuleSet.model_validate(data))).needs_review


def test_suggest_turns_place_names_into_one_area_feature() -> None:
    spellings = {"baleendah": "baleendah", "bale endah": "baleendah", "soreang": "soreang"}
    terms = features("jalan rusak di bale endah dekat pasar", areas=spellings)
    assert AREA_TERM in terms
    assert not {"bale", "endah", "bale endah", "endah dekat"} & terms
    examples = [
        Example(f"kepala desa di {p} tidak melayani", "KECAMATAN")
        for p in ("soreang", "baleendah", "bale endah", "soreang")
    ]
    examples += [Example("jalan rusak berlubang", "DPUTR")] * 4
    found = suggest(examples, areas=spellings)
    assert area_weight(found, "KECAMATAN") > 0
    assert AREA_TERM not in to_categories(found)["kecamatan"]["keywords"]
    assert "soreang" not in to_categories(found)["kecamatan"]["keywords"]
    assert "classifier.areas.weight" in to_yaml(found)


def test_bandung_example_config_loads_with_its_area_table() -> None:
    from aduan.config import load_config

    config = load_config(ROOT / "examples" / "kab-bandung" / "config.yaml")
    ruleset = config.ruleset()
    assert ruleset.settings.areas is not None and len(ruleset.settings.areas.places) == 31
    rules = compile_rules(ruleset)
    result = classify("kepala desa di kecamatan Bale Endah mempersulit surat pengantar", rules)
    assert result.area == "baleendah" and result.opd == "KECAMATAN"
