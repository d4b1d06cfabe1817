"""Keyword changes from corrections: additions, removals, and the guard set that vetoes."""

from __future__ import annotations

from classifier.corrections import Change, CorrectionOptions, apply_change, candidates, propose
from classifier.evaluate import Dataset, Example
from classifier.rules import RuleSet

RULES = RuleSet.model_validate(
    {
        "categories": {
            "jalan_rusak": {
                "opd": "DPUPR",
                "name": {"id": "Jalan"},
                "keywords": {"jalan": 1, "tambal": 2},
            },
            "ketertiban": {
                "opd": "SATPOLPP",
                "name": {"id": "Ketertiban"},
                "keywords": {"pkl": 2, "parkir liar": 2},
            },
            "lainnya": {"opd": "TRIAGE", "name": {"id": "Lainnya"}, "keywords": {"listrik": 1}},
        },
        "settings": {"fallback_category": "lainnya"},
    }
)
NAILS = [
    Example("ada yang menebar paku, tukang tambal untung", "ketertiban"),
    Example("paku disebar lagi, tambal ban laris", "ketertiban"),
    Example("paku di mana mana dekat tambal ban", "ketertiban"),
]


def test_candidates_add_the_missed_words_and_remove_the_misleading_keyword() -> None:
    found = candidates(NAILS, RULES, None, CorrectionOptions(min_count=3))
    assert Change("ketertiban", "paku", 0.0, 3) in found
    assert Change("jalan_rusak", "tambal", None, 3) in found  # voted wrong three times
    assert found.index(Change("ketertiban", "paku", 0.0, 3)) < found.index(
        Change("jalan_rusak", "tambal", None, 3)
    )


def test_changes_are_kept_only_when_they_help_and_the_guard_allows() -> None:
    proposal = propose(NAILS, RULES, options=CorrectionOptions(min_count=3))
    assert proposal.before.accuracy == 0.0 and proposal.after.accuracy == 1.0
    assert ("ketertiban", "paku") in {(c.category, c.term) for c in proposal.changes}
    assert (
        proposal.rules.categories["ketertiban"].keywords["paku"] == 4
    )  # twice the median: once only ties with "tambal"
    # A guard set that needs "paku" for roads refuses every change that moves it away.
    guard = Dataset(
        tuple(Example(f"jalan penuh paku {n}", "jalan_rusak") for n in range(3)), "category"
    )
    guarded = propose(NAILS, RULES, guards={"roads": guard}, options=CorrectionOptions(min_count=3))
    assert [(g.name, g.after.accuracy) for g in guarded.guards] == [("roads", 1.0)]
    assert all(c.term != "paku" for c in guarded.changes)


def test_apply_change_adds_and_removes() -> None:
    removed = apply_change(RULES, Change("jalan_rusak", "tambal", None, 3))
    assert removed.categories["jalan_rusak"].keywords == {"jalan": 1}
    added = apply_change(RULES, Change("ketertiban", "paku", 2.0, 3))
    assert added.categories["ketertiban"].keywords["paku"] == 2.0
    assert "paku" not in RULES.categories["ketertiban"].keywords  # the original is untouched
