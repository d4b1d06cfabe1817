"""`aduan rules …`: every edit is a validated new version with who, when and what."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from aduan.cli.main import app
from aduan.rules.datasets import load_dataset
from classifier.suggest import SuggestOptions, suggest, to_yaml
from tests.classifier.test_evaluate_suggest import write_csv

from .conftest import Cli, versions


def test_edits_are_versions_with_author_time_and_change(cli: Cli, engine: Engine) -> None:
    started = datetime.now(UTC) - timedelta(seconds=5)
    added = cli("add-keyword", "sampah", "TPS  Penuh", "--weight", "2.5", "--author", "ani",
                "--note", "warga menulis begini")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert re.search(r"version 2 .* by ani: sampah: \+'tps penuh' \(2\.5\)", added.output)
    assert cli("set-opd", "pohon", "dpupr", "--author", "budi").exit_code == 0
    assert cli("remove-keyword", "sampah", "tps penuh", "--author", "ani").exit_code == 0
    new = cli("add-category", "reklame", "--opd", "SATPOLPP", "--name-id", "Reklame liar",
              "--name-en", "Illegal billboards", "--sla-hours", "72", "--keyword", "baliho",
              "--keyword", "spanduk liar", "--author", "citra")  # fmt: skip
    assert new.exit_code == 0, new.output

    newest, *_, first = versions(engine)
    assert (first.author, first.note) == ("config.yaml", "config.yaml loaded")
    assert [(v.id, v.author, v.change) for v in versions(engine)[:4]] == [
        (5, "citra", "+category reklame (SATPOLPP, 2 keywords)"),
        (4, "ani", "sampah: -'tps penuh'"),
        (3, "budi", "pohon: OPD DLH -> DPUPR"),
        (2, "ani", "sampah: +'tps penuh' (2.5)"),
    ]
    assert all(v.created_at >= started for v in versions(engine))
    assert newest.ruleset.categories["reklame"].sla_hours == 72

    listed = cli("history")
    lines = listed.output.splitlines()
    assert lines[0].startswith("*version 5") and "by citra" in lines[0]
    assert "(warga menulis begini)" in lines[3]
    # In the deployment's time zone (config.yaml: Asia/Jakarta), labelled, as other CLI output.
    local = newest.created_at.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Jakarta"))
    assert f"{local:%Y-%m-%d %H:%M:%S} WIB" in lines[0], lines[0]
    assert "UTC" not in listed.output
    shown = cli("show", "reklame")
    assert "SATPOLPP (Satuan Polisi Pamong Praja)" in shown.output
    assert "spanduk liar" in shown.output and "72 hours" in shown.output
    assert "reklame" in cli("list").output


def test_revert_adds_a_version_with_the_old_rules(cli: Cli, engine: Engine) -> None:
    cli("set-opd", "sampah", "DINKES")
    cli("add-keyword", "sampah", "popok bekas")
    reverted = cli("revert", "1", "--author", "dewi")
    assert reverted.exit_code == 0, reverted.output
    assert "version 4" in reverted.output and "revert to version 1" in reverted.output
    newest, *_, first = versions(engine)
    assert (newest.id, newest.author) == (4, "dewi")
    assert newest.ruleset == first.ruleset
    assert [v.id for v in versions(engine)] == [4, 3, 2, 1]  # history is kept
    again = cli("revert", "1")
    assert again.exit_code == 1 and "nothing would change" in again.output
    missing = cli("revert", "99")
    assert missing.exit_code == 1 and "there is no rule version 99" in missing.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("set-opd", "sampah", "DLHX"), "unknown OPD 'DLHX' for category 'sampah'; known: BPBD"),
        (("add-keyword", "sampah", "   "), "a keyword must contain at least one word"),
        (("add-keyword", "sampah", "?!"), "a keyword must contain at least one word"),
        (("add-keyword", "sampah", "TPS  Liar"), "'tps liar' is already a keyword of 'sampah'"),
        (("add-keyword", "sampahh", "popok"), "unknown category 'sampahh'; known: jalan_rusak"),
        (("add-keyword", "sampah", "popok", "--weight", "0"), "must be a positive number"),
        (("remove-keyword", "sampah", "emas"), "'emas' is not a keyword of 'sampah'"),
        (("set-opd", "sampah", "DLH"), "nothing would change"),
        (
            ("add-category", "Reklame!", "--opd", "SATPOLPP", "--name-id", "R", "--name-en", "R"),
            "category code 'Reklame!' must be lower-case letters",
        ),
        (
            ("add-category", "reklame", "--opd", "DISPENDA", "--name-id", "R", "--name-en", "R"),
            "unknown OPD 'DISPENDA' for category 'reklame'",
        ),
        (
            ("add-category", "sampah", "--opd", "DLH", "--name-id", "S", "--name-en", "S"),
            "category 'sampah' already exists",
        ),
    ],
)
def test_invalid_edit_is_refused_and_changes_nothing(
    cli: Cli, engine: Engine, args: tuple[str, ...], message: str
) -> None:
    before = cli("export").output
    refused = cli(*args)
    assert refused.exit_code == 1
    assert message in refused.output and "nothing was changed" in refused.output
    assert [v.id for v in versions(engine)] == [1]
    assert cli("export").output == before


def test_import_a_reviewed_suggest_draft_merging_or_replacing(
    cli: Cli, engine: Engine, tmp_path: Path
) -> None:
    rows = [("Air mati", f"air pdam mati di blok {c}, pipa bocor", "PDAM") for c in "abcdef"]
    rows += [("Jalan", f"jalan berlubang di gang {c}, aspal hancur", "DPUPR") for c in "abcdef"]
    draft = tmp_path / "draft.yaml"
    examples = load_dataset(write_csv(tmp_path / "h.csv", rows)).examples
    draft.write_text(to_yaml(suggest(examples, SuggestOptions(min_count=3))))  # as `rules suggest`

    merged = cli("import", str(draft), "--author", "eko")
    assert merged.exit_code == 0, merged.output
    assert "+category pdam (PDAM" in merged.output and "import draft.yaml (merge)" in merged.output
    rules = versions(engine)[0].ruleset
    assert {"pdam", "dpupr", "sampah", "lainnya"} <= set(rules.categories)
    assert "pipa" in rules.categories["pdam"].keywords

    replaced = cli("import", str(draft), "--replace")
    assert replaced.exit_code == 1
    assert "the fallback category 'lainnya' must exist" in replaced.output

    data = yaml.safe_load(draft.read_text())
    data["categories"]["lainnya"] = {"opd": "TRIAGE", "name": {"id": "Lainnya", "en": "Other"}}
    draft.write_text(yaml.safe_dump(data))
    assert cli("import", str(draft), "--replace").exit_code == 0
    assert set(versions(engine)[0].ruleset.categories) == {"pdam", "dpupr", "lainnya"}


def test_import_refuses_a_draft_naming_an_unknown_opd(
    cli: Cli, engine: Engine, tmp_path: Path
) -> None:
    draft = tmp_path / "bandung.yaml"
    draft.write_text("categories:\n  dputr:\n    opd: DPUTR\n    name: {id: Jalan, en: Road}\n"
                     "    keywords: {aspal: 2}\n")  # fmt: skip
    refused = cli("import", str(draft))
    assert refused.exit_code == 1 and "unknown OPD 'DPUTR' for category 'dputr'" in refused.output
    assert len(versions(engine)) == 1


def test_export_then_import_round_trips(cli: Cli, engine: Engine, tmp_path: Path) -> None:
    cli("add-keyword", "drainase", "eceng gondok", "--weight", "3")
    exported = tmp_path / "rules.yaml"
    assert cli("export", str(exported)).exit_code == 0
    assert (
        yaml.safe_load(exported.read_text())["categories"]["drainase"]["keywords"]["eceng gondok"]
        == 3
    )
    same = cli("import", str(exported), "--replace")
    assert same.exit_code == 1 and "nothing would change" in same.output
    assert len(versions(engine)) == 2


def test_classify_live_explains_with_the_rules_in_force(
    cli: Cli, config: Path, database_url: str
) -> None:
    cli("add-keyword", "drainase", "eceng gondok", "--weight", "3")
    text = "Kolam retensi di perumahan kami penuh eceng gondok"
    env = {"ADUAN_DATABASE_URL": database_url}

    def explain(*flags: str) -> str:
        args = ["classify", *flags, "--config", str(config), text]
        return CliRunner().invoke(app, args, env=env).output

    assert "decision: complaint -> drainase (DPUPR)" in explain("--live")
    assert "'eceng gondok' +3" in explain("--live")
    assert "decision: complaint -> lainnya" in explain()  # config.yaml alone does not know it


def test_eval_live_scores_the_rules_in_force(
    cli: Cli, config: Path, database_url: str, tmp_path: Path
) -> None:
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(
        '{"id": 1, "text": "Kolam retensi penuh eceng gondok", "label": "drainase"}\n'
    )
    env = {"ADUAN_DATABASE_URL": database_url}

    def accuracy(*flags: str) -> float:
        args = ["eval", str(labelled), *flags, "--json", "--config", str(config)]
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["accuracy"]

    assert accuracy("--live") == 0.0
    cli("add-keyword", "drainase", "eceng gondok", "--weight", "3")
    assert accuracy("--live") == 1.0
    assert accuracy() == 0.0  # config.yaml alone does not know it
