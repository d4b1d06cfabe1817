"""`suggest_linear`: keyword weights learned by a linear model, readable as ordinary rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from aduan.rules.datasets import load_dataset
from classifier import RuleSet, classify, compile_rules
from classifier.suggest import LinearOptions, features, suggest_linear, to_categories

from .test_evaluate_suggest import write_csv


def history() -> list[tuple[str, str, str]]:
    water = [("Air mati", f"air pdam mati di blok {c}, pipa bocor", "PDAM") for c in "abcdef"]
    roads = [
        ("Jalan rusak", f"jalan berlubang di gang {c}, aspal hancur", "DPUTR") for c in "abcdef"
    ]
    lights = [("Lampu jalan", f"lampu jalan padam di gang {c}", "DISHUB") for c in "abcd"]
    return water + roads + lights


@pytest.mark.parametrize("model", ["logreg", "svm"])
def test_linear_suggestion_learns_readable_weights(tmp_path: Path, model: str) -> None:
    dataset = load_dataset(write_csv(tmp_path / "h.csv", history()))
    draft = suggest_linear(dataset.examples, LinearOptions(model=model, c=10.0, top=20))
    assert set(draft.keywords) == {"PDAM", "DPUTR", "DISHUB"}
    assert all(0 < len(items) <= 20 for items in draft.keywords.values())
    assert all(s.weight > 0 for items in draft.keywords.values() for s in items)
    assert all(b >= 0 for b in draft.bias.values()) and min(draft.bias.values()) == 0
    top = {label: {s.term for s in items[:6]} for label, items in draft.keywords.items()}
    # The strongest keywords of a label are words of its own reports only.
    assert top["PDAM"] <= {"air", "pdam", "pipa", "bocor", "mati", "blok", "air pdam", "air mati"}
    assert {"berlubang", "aspal", "hancur", "rusak"} & top["DPUTR"]
    assert {"lampu", "padam", "lampu jalan", "jalan padam"} & top["DISHUB"]
    # Strongest first; every term counts once (overlap), none halved (decay 1).
    weights = [s.weight for s in draft.keywords["PDAM"]]
    assert weights == sorted(weights, reverse=True)

    categories = to_categories(draft.keywords, bias=draft.bias)
    settings = {"decay": 1.0, "overlap": True, "threshold": 0.0, "margin": 0.0}
    rules = compile_rules(RuleSet(categories=categories, settings=settings))
    for text, category in [
        ("pipa pdam bocor, air mati", "pdam"),
        ("aspal jalan berlubang", "dputr"),
        ("lampu jalan padam sejak kemarin", "dishub"),
    ]:
        assert classify(text, rules).category == category


def test_engine_score_is_the_sum_of_learned_weights(tmp_path: Path) -> None:
    dataset = load_dataset(write_csv(tmp_path / "h.csv", history()))
    draft = suggest_linear(dataset.examples, LinearOptions(c=10.0, top=1000))
    categories = to_categories(draft.keywords, bias=draft.bias)
    rules = compile_rules(RuleSet(categories=categories, settings={"decay": 1.0, "overlap": True}))
    text = "lampu jalan padam"
    result = classify(text, rules)
    present = features(text)
    assert {"lampu jalan", "jalan padam", "jalan"} <= present
    for label, items in draft.keywords.items():
        found = [s.weight for s in items if s.term in present]
        expected = sum(found) + draft.bias[label] if found else None
        assert result.scores.get(label.lower()) == pytest.approx(expected)


def test_bias_and_overlap_default_off_keep_old_rules() -> None:
    categories = {
        "pju": {"opd": "DISHUB", "name": {"id": "PJU"}, "keywords": {"lampu jalan": 3}},
        "jalan": {"opd": "DPUTR", "name": {"id": "Jalan"}, "keywords": {"jalan": 2}},
    }
    old = compile_rules(RuleSet(categories=categories))
    assert classify("lampu jalan mati", old).scores == {"pju": 3.0}
    categories["pju"]["bias"] = 0.5
    new = compile_rules(RuleSet(categories=categories, settings={"overlap": True}))
    assert classify("lampu jalan mati", new).scores == {"pju": 3.5, "jalan": 2.0}
