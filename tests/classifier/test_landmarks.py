"""Landmarks are places, not topics: a school, health centre, market or mosque named as where the
problem is does not vote for its own category; named as the topic, it still does."""

from __future__ import annotations

import pytest

from classifier import CompiledRules, classify, compile_rules
from classifier.landmarks import landmark_positions

from .conftest import ROOT


@pytest.fixture(scope="module")
def bandung_rules() -> CompiledRules:
    from aduan.config import load_config

    return compile_rules(load_config(ROOT / "examples/kab-bandung/config.yaml").ruleset())


LOCATIONS = [
    ("jalan berlubang dekat SDN 2", "jalan_rusak", "pendidikan", "dputr", "disdik"),
    ("jalan rusak di depan puskesmas", "jalan_rusak", "kesehatan", "dputr", "dinkes"),
    ("sampah menumpuk di depan pasar", "sampah", None, "dlh", "disdagin"),
    ("lampu jalan mati di samping masjid", "lampu_jalan", None, None, None),
    ("jalan rusak parah dkt rumah sakit", "jalan_rusak", "kesehatan", "dputr", "rsud"),
    ("sampah numpuk didepan sekolah", "sampah", "pendidikan", "dlh", "disdik"),
]


@pytest.mark.parametrize(("text", "category", "landmark", "bandung", "bandung_landmark"), LOCATIONS)
def test_a_landmark_named_as_the_location_votes_for_nothing(
    text: str,
    category: str,
    landmark: str | None,
    bandung: str | None,
    bandung_landmark: str | None,
    shipped_rules: CompiledRules,
    bandung_rules: CompiledRules,
) -> None:
    result = classify(text, shipped_rules)
    assert result.category == category and not result.needs_review
    if landmark is not None:
        assert landmark not in result.scores
    learned = classify(text, bandung_rules)
    if bandung is not None:
        assert learned.category == bandung
    if bandung_landmark is not None:
        # The learned rules score every word a little; the landmark's own words give nothing.
        assert not any(
            m.category == bandung_landmark and m.found_as in text.lower().split()
            and m.term in {"sdn", "puskesmas", "pasar", "sekolah", "rumah sakit"}
            for m in learned.matched
        )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("guru SDN 2 memungut biaya seragam", "pendidikan"),
        ("pelayanan puskesmas lambat, antre dari pagi", "kesehatan"),
        ("sekolah anak saya kekurangan guru", "pendidikan"),
    ],
)
def test_a_landmark_named_as_the_topic_still_counts(
    text: str, category: str, shipped_rules: CompiledRules
) -> None:
    assert classify(text, shipped_rules).category == category


def test_positions_of_landmarks_as_locations() -> None:
    words = ["jalan", "rusak", "dekat", "rumah", "sakit", "dan", "depan", "pasar"]
    assert landmark_positions(words) == {3, 4, 7}
    assert landmark_positions(["guru", "sd", "memungut", "biaya"]) == frozenset()
    assert landmark_positions(["ada", "sekolah", "di", "dekat", "sini"]) == frozenset()
