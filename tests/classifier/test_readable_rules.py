"""Rules an admin can read: at most ~80 keywords a category, no boilerplate, weights shown, and
a disaster category for Kabupaten Bandung with hand-written keywords for the small OPDs."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aduan.cli.main import app
from aduan.rules.datasets import load_dataset
from classifier import classify, compile_rules
from classifier.calibrate import Decision, choose
from classifier.engine import lead_confidence
from classifier.learn import MAX_TERMS, READABLE
from classifier.normalize import base_tokens
from classifier.suggest import boilerplate, stop_words, suggest_linear

from .conftest import ROOT
from .test_evaluate_suggest import write_csv

BANDUNG = ROOT / "examples" / "kab-bandung" / "config.yaml"


def _bandung():  # type: ignore[no-untyped-def]
    from aduan.config import load_config

    return load_config(BANDUNG).ruleset()


def test_the_boilerplate_list_is_data_and_covers_lapor_phrases() -> None:
    words = boilerplate()
    for phrase in ("mohon", "lapor go id", "responnya", "terima kasih", "bapak ibu", "yth",
                   "assalamualaikum wr wb", "selamat pagi", "hormat kami"):  # fmt: skip
        assert set(base_tokens(phrase)) <= stop_words(), phrase
    assert "banjir" not in words and "bantuan" not in words  # topic words stay usable


def test_no_kecamatan_or_desa_name_is_a_keyword_of_the_bandung_rules() -> None:
    """Village names only say where (issue 17): "cinunuk" voted for DLH, "malakasari" for
    INSPEKTORAT. The area list knows every kecamatan and desa of the regency."""
    from aduan.areas.source import regency_areas

    places = {
        " ".join(base_tokens(r.name))
        for r in regency_areas("32.04")
        if r.level not in ("province", "regency")
    }
    for code, rule in _bandung().categories.items():
        for term in rule.keywords:
            tokens = base_tokens(term)
            n = len(tokens)
            spans = {" ".join(tokens[i:j]) for i in range(n) for j in range(i + 1, n + 1)}
            assert not spans & places, (code, term)


def test_bandung_rules_are_short_and_free_of_boilerplate() -> None:
    rules = _bandung()
    stops = stop_words()
    for code, rule in rules.categories.items():
        assert len(rule.keywords) <= MAX_TERMS, code
        for term in rule.keywords:
            assert not set(base_tokens(term)) & stops, (code, term)


def test_bandung_has_a_disaster_category_and_curated_small_opds() -> None:
    rules = _bandung()
    bpbd = rules.categories["bpbd"]
    assert bpbd.opd == "BPBD" and bpbd.sla_hours <= 24
    assert bpbd.name["id"].startswith("Bencana") and bpbd.name["en"].startswith("Disaster")
    compiled = compile_rules(rules)
    for text, category in [
        ("banjir bandang merendam rumah warga, banyak yang mengungsi", "bpbd"),
        ("tanah longsor menutup jalan desa setelah hujan deras semalam", "bpbd"),
        ("angin puting beliung merusak atap rumah warga", "bpbd"),
        ("pohon tumbang menimpa rumah saat angin kencang", "bpbd"),
        ("kebakaran rumah di gang kami, api besar", "damkar"),
        ("ada sarang tawon besar di atap rumah, mohon dievakuasi", "damkar"),
        ("dana desa dan apbdes tidak transparan, bumdes mangkrak", "dpmd"),
        ("objek wisata curug tiketnya mahal, pengelola wisata cuek", "disparbud"),
    ]:
        assert classify(text, compiled).category == category, text


def test_refitted_draft_keeps_at_most_the_asked_terms_and_no_boilerplate(tmp_path: Path) -> None:
    polite = "Yth bapak ibu, mohon responnya. Terima kasih. lapor go id"
    rows = [
        *((f"Air {i}", f"{polite} pipa pdam bocor air mati blok {i}", "PDAM") for i in "abcdef"),
        *((f"Jalan {i}", f"{polite} aspal jalan berlubang hancur {i}", "DPUTR") for i in "abcdef"),
        *((f"Lampu {i}", f"{polite} lampu jalan padam gelap {i}", "DISHUB") for i in "abcdef"),
    ]  # fmt: skip
    dataset = load_dataset(write_csv(tmp_path / "h.csv", rows))
    options = replace(READABLE, top=3, min_count=2)
    draft = suggest_linear(dataset.examples, options)
    stops = stop_words()
    for label, items in draft.keywords.items():
        assert 0 < len(items) <= 3, label
        assert not any(set(s.term.split()) & stops for s in items), items
    assert {s.term for s in draft.keywords["PDAM"]} & {"pdam", "pipa", "bocor", "air mati"}


@pytest.mark.parametrize("category", ["bpbd", "dputr"])
def test_rules_show_lists_every_keyword_with_its_weight(tmp_path: Path, category: str) -> None:
    env = {"ADUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'aduan.db'}"}
    result = CliRunner().invoke(app, ["rules", "show", category, "--config", str(BANDUNG)], env=env)
    assert result.exit_code == 0, result.output
    rule = _bandung().categories[category]
    lines = result.output.split("keywords:\n", 1)[1].splitlines()
    shown = [line.split(None, 1) for line in lines if line.startswith("    ")]
    assert len(shown) == len(rule.keywords)
    weights = [float(w) for w, _ in shown]
    assert weights == sorted(weights, reverse=True)
    for weight, term in shown:
        assert abs(rule.keywords[term] - float(weight)) < 0.01, term


def test_expected_cut_routes_while_the_mean_fitted_confidence_stays_on_target() -> None:
    rng = random.Random(5)
    decisions = []
    for _ in range(3000):
        lead = rng.uniform(0, 3)
        right = rng.random() < 1 / (1 + math.exp(-(2 * lead - 1)))
        decisions.append(Decision("a", {"a": 1 + lead, "b": 1.0}, right))
    calibration = choose(decisions, 0.85, cut="expected")
    slope, offset = calibration.settings["lead_slope"], calibration.settings["lead_offset"]
    assert isinstance(slope, float) and isinstance(offset, float)
    confidences = sorted(
        (lead_confidence(d.scores["a"], 1.0, slope, offset) for d in decisions), reverse=True
    )
    routed = [c for c in confidences if c >= calibration.threshold]
    assert sum(routed) / len(routed) >= 0.85
    one_more = confidences[: len(routed) + 1]
    assert sum(one_more) / len(one_more) < 0.85 + 1e-3
    # On decisions that follow the fitted curve, what is routed is right about 85% of the time.
    assert 0.82 <= calibration.precision <= 0.9 and 0.3 < calibration.coverage < 0.9
    assert choose(decisions, 1.0, cut="expected").threshold == 1.0
