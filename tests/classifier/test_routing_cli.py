from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml
from typer.testing import CliRunner

from aduan.cli.routing import register

from .conftest import ROOT
from .test_evaluate_suggest import history, write_csv, write_jsonl

runner = CliRunner()
CONFIG = str(ROOT / "config.yaml")


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test app."""

    register(app)
    return app


def test_classify_explains_the_decision() -> None:
    result = runner.invoke(
        make_app(), ["classify", "--config", CONFIG, "got mampet parahhh, smpah numpuk"]
    )
    assert result.exit_code == 0, result.output
    assert "normalised: got tersumbat parah sampah numpuk" in result.output
    assert "'sampah' +3  (written 'smpah')" in result.output
    assert "scores:" in result.output and "decision: complaint ->" in result.output


def test_classify_json() -> None:
    result = runner.invoke(make_app(), ["classify", "--json", "--config", CONFIG, "bnjir sedada"])
    data = json.loads(result.output)
    assert (data["category"], data["opd"], data["needs_review"]) == ("banjir", "BPBD", False)
    assert 0 <= data["confidence"] <= 1


def test_classify_not_a_complaint() -> None:
    result = runner.invoke(make_app(), ["classify", "--config", CONFIG, "selamat pagi min"])
    assert "decision: not a complaint (greeting)" in result.output


def test_eval_json(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [("got mampet", "drainase"), ("tes", "not_complaint")])
    result = runner.invoke(make_app(), ["eval", str(path), "--config", CONFIG, "--json"])
    data = json.loads(result.output)
    assert data["n"] == 2 and data["accuracy"] == 1.0


def test_rules_suggest(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", history())
    result = runner.invoke(
        make_app(), ["rules", "suggest", str(path), "--min-count", "3", "--top", "5"]
    )
    assert result.exit_code == 0, result.output
    draft = yaml.safe_load(result.output)
    assert "pdam" in " ".join(draft["categories"]["pdam"]["keywords"])


def _village_history() -> list[tuple[str, str, str]]:
    """Road reports all from Cinunuk, waste reports all from Jelegong: the village names are
    as telling as the topics in this history, and must still not become keywords."""
    roads = [("Jalan", f"jalan berlubang di desa cinunuk gang {c}", "DPUTR") for c in "abcdef"]
    waste = [("Sampah", f"sampah menumpuk di jelegong blok {c}", "DLH") for c in "abcdef"]
    return roads + waste


def _keywords(output: str) -> set[str]:
    draft = yaml.safe_load(output)
    return {t for rule in draft["categories"].values() for t in rule.get("keywords") or {}}


def test_rules_suggest_linear_leaves_out_the_place_names_of_a_regency(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", _village_history())
    learn = ["rules", "suggest", str(path), "--method", "linear", "--max-terms", "10"]
    plain = runner.invoke(make_app(), learn)
    assert plain.exit_code == 0, plain.output
    assert {"cinunuk", "jelegong"} & _keywords(plain.output)  # without the list: learned

    placed = runner.invoke(make_app(), [*learn, "--places-of", "32.04"])
    assert placed.exit_code == 0, placed.output
    terms = _keywords(placed.output)
    assert not any(w in {"cinunuk", "jelegong"} for t in terms for w in t.split()), terms
    assert {"berlubang", "menumpuk", "sampah"} & terms  # the topics still are

    unknown = runner.invoke(make_app(), [*learn, "--places-of", "Kabupaten Atlantis"])
    assert unknown.exit_code == 2
    assert "no regency" in unknown.output


def test_bandung_example_config_is_valid() -> None:
    from aduan.config import load_config

    config = load_config(ROOT / "examples" / "kab-bandung" / "config.yaml")
    assert config.ruleset().categories["dputr"].opd == "DPUTR"
