"""`aduan classify|eval --areas`: the imported list names the place; eval scores the kecamatan."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from aduan.cli.main import app

from ..classifier.conftest import ROOT

BANDUNG = str(ROOT / "examples/kab-bandung/config.yaml")
ROWS = [
    (
        "Kepala desa",
        "Kepala desa di Ds. Rancamanyar tidak melayani warga",
        "KECAMATAN",
        "Baleendah",
    ),
    ("Pungli", "Aparat kec. soreng minta uang untuk surat", "KECAMATAN", "Soreang"),
    ("Desa", "Perangkat desa tidak pernah ada di kantor", "KECAMATAN", "Cileunyi"),
    ("Jalan rusak", "Jalan berlubang dekat SDN 2", "DPUTR", ""),
]


def _write(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "title", "text", "opd", "kecamatan"])
        writer.writeheader()
        for i, (title, text, opd, kecamatan) in enumerate(ROWS):
            writer.writerow(
                {"id": i, "title": title, "text": text, "opd": opd, "kecamatan": kecamatan}
            )
    return path


def test_eval_and_classify_with_the_area_list(tmp_path: Path, sqlite_url: str) -> None:
    runner = CliRunner()
    env = {"ADUAN_DATABASE_URL": sqlite_url}
    data = str(_write(tmp_path / "reports.csv"))

    refused = runner.invoke(app, ["eval", data, "-c", BANDUNG, "--areas"], env=env)
    assert refused.exit_code == 2 and "aduan areas import" in refused.output

    without = runner.invoke(app, ["eval", data, "-c", BANDUNG, "--json"], env=env)
    assert without.exit_code == 0, without.output
    report = json.loads(without.output)
    # The rules' own area table knows kecamatan names only (here Soreang, through a typo).
    assert (report["kecamatan_n"], report["kecamatan_accuracy"]) == (3, round(1 / 3, 4))

    assert runner.invoke(app, ["areas", "import", "--regency", "32.04"], env=env).exit_code == 0
    with_list = runner.invoke(app, ["eval", data, "-c", BANDUNG, "--areas", "--json"], env=env)
    assert with_list.exit_code == 0, with_list.output
    # The desa names Baleendah, the typo is Soreang; the third report names no place.
    assert json.loads(with_list.output)["kecamatan_accuracy"] == round(2 / 3, 4)
    text = runner.invoke(app, ["eval", data, "-c", BANDUNG, "--areas"], env=env).output
    assert "kecamatan named: 66.7%  (of 3 reports whose kecamatan office is known)" in text

    one = runner.invoke(app, ["classify", ROWS[0][1], "-c", BANDUNG, "--areas", "--json"], env=env)
    assert json.loads(one.output)["area"] == {"kecamatan": "Baleendah", "desa": "Rancamanyar"}
    none = runner.invoke(app, ["classify", ROWS[3][1], "-c", BANDUNG, "--json"], env=env)
    assert json.loads(none.output)["area"] is None
    explained = runner.invoke(app, ["classify", ROWS[1][1], "-c", BANDUNG, "--areas"], env=env)
    assert "place: kecamatan Soreang  (written 'kec soreng')" in explained.output
