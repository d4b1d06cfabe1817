"""Learned rules: repeated keywords, the lead confidence, calibration and `--method linear`."""

from __future__ import annotations

import math
import random
from pathlib import Path

import yaml

from aduan.rules.edits import import_rules
from classifier import RuleSet, classify, compile_rules
from classifier.calibrate import Decision, choose, fit_logistic, stratified_folds
from classifier.engine import lead_confidence

from .conftest import ROOT
from .test_evaluate_suggest import write_csv
from .test_routing_cli import make_app, runner


def _rules(**settings: object) -> RuleSet:
    return RuleSet.model_validate(
        {
            "categories": {
                "sampah": {"opd": "DLH", "name": {"id": "Sampah"}, "keywords": {"sampah": 2}},
                "jalan": {"opd": "DPUPR", "name": {"id": "Jalan"}, "keywords": {"aspal": 1.5}},
                "lainnya": {"opd": "TRIAGE", "name": {"id": "Lainnya"}, "keywords": {}},
            },
            "settings": {"decay": 1.0, "overlap": True, **settings},
        }
    )


def test_a_repeated_keyword_counts_one_plus_log_n_under_repeats_log() -> None:
    text = "sampah di sini, sampah di sana, sampah di mana-mana"
    once = classify(text, compile_rules(_rules()))
    logged = classify(text, compile_rules(_rules(repeats="log")))
    assert once.scores["sampah"] == 2
    assert math.isclose(logged.scores["sampah"], 2 * (1 + math.log(3)))
    # One mention is unchanged either way.
    assert classify("sampah numpuk", compile_rules(_rules(repeats="log"))).scores["sampah"] == 2


def test_lead_confidence_grows_with_the_lead_and_gates_routing() -> None:
    assert lead_confidence(4.0, 0.0, 1.0, -1.0) > lead_confidence(4.0, 3.0, 1.0, -1.0)
    assert lead_confidence(4.0, 4.0, 1.0, 0.0) == 0.5
    rules = compile_rules(
        _rules(confidence="lead", lead_slope=2.0, lead_offset=-2.0, threshold=0.6, margin=0.0)
    )
    clear = classify("sampah menumpuk di pinggir jalan", rules)  # lead 2/sqrt(2): p = 0.70
    close = classify("sampah menutupi aspal", rules)  # lead 0.5/sqrt(2): p = 0.33
    assert clear.category == "sampah" and not clear.needs_review
    assert math.isclose(clear.confidence, 1 / (1 + math.exp(-(2 * math.sqrt(2) - 2))))
    assert close.category == "sampah" and close.needs_review


def test_fit_logistic_recovers_a_known_curve() -> None:
    rng = random.Random(3)
    points = []
    for _ in range(4000):
        x = rng.uniform(0, 5)
        points.append((x, rng.random() < 1 / (1 + math.exp(-(1.5 * x - 2)))))
    slope, offset = fit_logistic(points)
    assert abs(slope - 1.5) < 0.2 and abs(offset + 2) < 0.3


def test_choose_routes_the_most_at_the_target_precision() -> None:
    rng = random.Random(5)
    decisions = []
    for _ in range(600):
        lead = rng.uniform(0, 3)
        right = rng.random() < 1 / (1 + math.exp(-(2 * lead - 1)))
        decisions.append(Decision("a", {"a": 1 + lead, "b": 1.0}, right))
    calibration = choose(decisions, 0.85)
    slope, offset = calibration.settings["lead_slope"], calibration.settings["lead_offset"]
    ranked = sorted(
        ((lead_confidence(d.scores["a"], 1.0, slope, offset), d.correct) for d in decisions),
        reverse=True,
    )
    routed = [ok for confidence, ok in ranked if confidence >= calibration.threshold]
    assert sum(routed) / len(routed) >= 0.85
    assert math.isclose(len(routed) / len(decisions), calibration.coverage, abs_tol=0.01)
    assert 0.3 < calibration.coverage < 0.9
    # Routing one more (the next most confident) would drop below the target.
    one_more = [ok for _, ok in ranked[: len(routed) + 1]]
    assert sum(one_more) / len(one_more) < 0.85
    # Nothing reaches an impossible target: nothing is routed without review.
    assert choose(decisions, 1.0).threshold == 1.0


def test_folds_keep_every_label_spread() -> None:
    labels = ["A"] * 8 + ["B"] * 4 + ["C"]
    folds = stratified_folds(labels, 4)
    assert sorted(i for fold in folds for i in fold) == list(range(len(labels)))
    assert all(sum(labels[i] == "A" for i in fold) == 2 for fold in folds)
    assert all(sum(labels[i] == "B" for i in fold) == 1 for fold in folds)


def history() -> list[tuple[str, str, str]]:
    rows = []
    for n in range(12):
        rows.append(("Air mati", f"air pdam mati lagi di blok {n}, pipa bocor", "PDAM"))
        rows.append(("Jalan rusak", f"jalan berlubang di gang {n}, aspal hancur", "DPUTR"))
        rows.append(("Lampu", f"lampu jalan padam di gang {n}, gelap", "DISHUB"))
    return rows


def test_suggest_linear_cli_writes_an_importable_calibrated_draft(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "history.csv", history())
    result = runner.invoke(make_app(), ["rules", "suggest", str(path), "--method", "linear"])
    assert result.exit_code == 0, result.output
    assert "Cross-validated on 36 labelled reports" in result.output
    draft = yaml.safe_load(result.output)
    settings = draft["classifier"]
    assert settings["confidence"] == "lead" and settings["repeats"] == "log"
    assert settings["overlap"] is True and settings["decay"] == 1.0
    assert 0 < settings["threshold"] < 1
    assert set(draft["categories"]) == {"pdam", "dputr", "dishub", "lainnya"}
    assert draft["categories"]["lainnya"]["opd"] == "TRIAGE"
    assert draft["categories"]["pdam"]["keywords"]["pdam"] > 0

    rules = compile_rules(import_rules(_rules(), draft, replace=True))
    decision = classify("pipa pdam bocor, air mati sejak subuh", rules)
    assert decision.category == "pdam" and decision.opd == "PDAM"
    assert not decision.needs_review
    assert classify("aspal jalan berlubang", rules).category == "dputr"


def test_suggest_linear_cli_explains_a_missing_areas_config(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "history.csv", history())
    result = runner.invoke(
        make_app(),
        ["rules", "suggest", str(path), "--method", "linear", "--areas-from", "nope.yaml"],
    )
    assert result.exit_code == 2
    assert "nope.yaml" in result.output


def test_shipped_rules_generalise_to_messages_written_apart_from_chat_dev() -> None:
    """100 chat messages written for this test (not taken from, or tuned on, chat-dev)."""
    from aduan.config import load_config
    from aduan.rules.datasets import load_dataset
    from classifier.evaluate import evaluate

    rules = compile_rules(load_config(ROOT / "config.yaml").ruleset())
    report = evaluate(load_dataset(Path(__file__).parent / "data" / "fresh_chat.jsonl"), rules)
    assert report.n == 100
    assert report.accuracy >= 0.9
    assert report.auto_precision >= 0.95 and report.coverage >= 0.7
