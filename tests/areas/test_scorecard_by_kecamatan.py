"""The scorecard grouped by the kecamatan each complaint names (CLI `--by kecamatan`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aduan.areas.store import import_areas
from aduan.cli.main import app
from aduan.runtime import build_runtime
from channels.message import InboundMessage
from dispatch.scorecard import UNKNOWN_AREA, build_scorecard
from storage.engine import transaction
from tests.support.deployment import write_config

TEXTS = [
    "Sampah menumpuk di kel. Jelekong sudah seminggu tidak diangkut",
    "Jalan berlubang besar di desa Rancamanyar, mohon diperbaiki",
    "Pohon tumbang menutup jalan di kecamatan Soreang",
    "Lampu jalan mati sudah tiga malam di gang kami",
]


def test_scorecard_by_kecamatan(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADUAN_RULES_CHECK_SECONDS", "0")
    config = write_config(tmp_path / "config.yaml")
    runtime = build_runtime(config, database_url, migrate=True)
    import_areas(runtime.engine, "32.04")
    for n, text in enumerate(TEXTS):
        runtime.pipeline.handle(
            InboundMessage(channel="web", external_id=f"m{n}", sender=f"web:warga-{n}", text=text)
        )
    ctx = runtime.ctx
    with transaction(runtime.engine) as session:
        card = build_scorecard(session, ctx.opd_names, 0.8, datetime.now(UTC), by="kecamatan")
        by_opd = build_scorecard(session, ctx.opd_names, 0.8, datetime.now(UTC))
    assert [(s.opd, s.received, s.open_now) for s in card.opds] == [
        ("Baleendah", 2, 2),
        ("Soreang", 1, 1),
        (UNKNOWN_AREA, 1, 1),
    ]
    assert card.total.received == by_opd.total.received == 4

    table = CliRunner().invoke(
        app,
        ["report", "scorecard", "-c", str(config), "--by", "kecamatan"],
        env={"ADUAN_DATABASE_URL": database_url},
    )
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[2].startswith("Kecamatan") and any(ln.startswith("Baleendah ") for ln in lines)
    wrong = CliRunner().invoke(
        app,
        ["report", "scorecard", "-c", str(config), "--by", "desa"],
        env={"ADUAN_DATABASE_URL": database_url},
    )
    assert wrong.exit_code == 2 and "--by must be opd or kecamatan" in wrong.output
    runtime.engine.dispose()
