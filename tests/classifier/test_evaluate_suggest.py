from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml

from aduan.rules.datasets import load_dataset
from classifier import CompiledRules, RuleSet, compile_rules
from classifier.evaluate import evaluate
from classifier.suggest import SuggestOptions, suggest, to_categories, to_yaml

from .conftest import SHARED_DATA

CHAT_ROWS = [
    ("banjir lagi di gang kami", "banjir"),
    ("sampah numpuk di tps", "sampah"),
    ("lampu jalan mati", "lampu_jalan"),
    ("harga cabai naik", "lainnya"),
    ("makasih min", "not_complaint"),
    ("sampah dan banjir", "banjir"),
]


def write_jsonl(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text(
        "".join(
            json.dumps({"id": str(i), "text": t, "label": lab}) + "\n"
            for i, (t, lab) in enumerate(rows)
        ),
        encoding="utf-8",
    )
    return path


def write_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "title", "text", "opd"])
        writer.writeheader()
        for i, (title, text, opd) in enumerate(rows):
            writer.writerow({"id": i, "title": title, "text": text, "opd": opd})
    return path


def test_eval_on_small_jsonl(tmp_path: Path, tiny_rules: CompiledRules) -> None:
    report = evaluate(load_dataset(write_jsonl(tmp_path / "chat.jsonl", CHAT_ROWS)), tiny_rules)
    assert report.n == 6
    assert report.accuracy == 1.0
    # routed without review: the three clear complaints; not the fallback, the thanks or the
    # banjir/sampah tie
    assert report.coverage == 0.5
    assert report.auto_precision == 1.0
    assert set(report.as_dict()) >= {"n", "accuracy", "macro_f1", "coverage", "auto_precision"}


def test_eval_on_small_csv_compares_opds(tmp_path: Path, tiny_rules: CompiledRules) -> None:
    rows = [
        ("Banjir", "rumah terendam banjir", "BPBD"),
        ("Sampah", "tps penuh", "DLH"),
        ("Lain", "pajak", "BAPENDA"),
    ]
    report = evaluate(load_dataset(write_csv(tmp_path / "lapor.csv", rows)), tiny_rules)
    assert report.n == 3
    assert report.accuracy == 2 / 3
    assert report.confused == [("BAPENDA", "TRIAGE", 1)]


def history() -> list[tuple[str, str, str]]:
    water = [("Air mati", f"air pdam mati di blok {c}, pipa bocor", "PDAM") for c in "abcdef"]
    roads = [
        ("Jalan rusak", f"jalan berlubang di gang {c}, aspal hancur", "DPUTR") for c in "abcdef"
    ]
    mixed = [("Info", "mohon info jalan ke kantor pdam", "DPUTR")]
    return water + roads + mixed


def test_suggest_proposes_distinctive_terms(tmp_path: Path) -> None:
    dataset = load_dataset(write_csv(tmp_path / "h.csv", history()))
    found = suggest(dataset.examples, SuggestOptions(min_count=3, top=10))
    water = {s.term for s in found["PDAM"]}
    roads = {s.term for s in found["DPUTR"]}
    assert {"pdam", "pipa", "bocor"} <= water
    assert {"berlubang", "aspal"} <= roads
    assert not water & roads
    assert all(s.weight > 0 and s.count >= 3 for items in found.values() for s in items)


def test_suggest_yaml_is_a_valid_rules_draft(tmp_path: Path) -> None:
    dataset = load_dataset(write_csv(tmp_path / "h.csv", history()))
    found = suggest(dataset.examples, SuggestOptions(min_count=3, top=10))
    draft = yaml.safe_load(to_yaml(found))
    rules = RuleSet(categories=draft["categories"])
    assert rules.categories["pdam"].opd == "PDAM"
    compiled = compile_rules(RuleSet(categories=to_categories(found)))
    assert compiled.opd["dputr"] == "DPUTR"


def test_shared_chat_dev_file_loads() -> None:
    dataset = load_dataset(SHARED_DATA / "chat-dev.jsonl")
    assert dataset.kind == "category" and len(dataset.examples) > 100
