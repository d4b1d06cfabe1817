"""Admins edit routing rules by chat (`/rule …`); other staff are refused politely."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from aduan.api.app import create_app
from aduan.runtime import build_runtime
from channels.registry import build_adapters
from tests.support.deployment import write_config
from tests.test_lifecycle import STAFF, Town

from .conftest import versions

WEEDS = "Kolam retensi di perumahan kami penuh eceng gondok"


@pytest.fixture
def town(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Town]:
    monkeypatch.setenv("ADUAN_RULES_CHECK_SECONDS", "0")
    runtime = build_runtime(
        write_config(tmp_path / "config.yaml", staff=STAFF), database_url, migrate=True
    )
    adapters, _ = build_adapters(runtime.config.channels, env={})
    with TestClient(create_app(runtime, adapters)) as client:
        yield Town(client)
    runtime.engine.dispose()


def test_admin_adds_a_keyword_by_chat_and_the_next_complaint_follows_it(town: Town) -> None:
    engine: Engine = town.engine
    assert town.say("siti", WEEDS)["status"] == "needs_review"

    added = town.say("admin", '/rule add-keyword drainase "eceng gondok" 3')
    assert added["reply"] == (
        "Kata kunci 'eceng gondok' (bobot 3) ditambahkan ke drainase. Aturan versi 2 berlaku."
    )
    filed = town.say("rudi", WEEDS)
    assert (filed["category"], filed["opd"], filed["status"]) == ("drainase", "DPUPR", "routed")

    newest = versions(engine)[0]
    assert newest.author == "Admin <web:kota:admin>"
    assert newest.change == "drainase: +'eceng gondok' (3)"
    shown = town.say("admin", "/rule show drainase")["reply"]
    assert shown.startswith("Drainase (drainase) -> Dinas Pekerjaan Umum dan Penataan Ruang")
    assert "eceng gondok (3)" in shown and "aturan versi 2" in shown


def test_admin_moves_a_category_and_bad_edits_are_refused_in_indonesian(town: Town) -> None:
    moved = town.say("admin", "/rule set-opd pohon dpupr")
    assert moved["reply"] == (
        "Kategori pohon kini ditangani Dinas Pekerjaan Umum dan Penataan Ruang. "
        "Aturan versi 2 berlaku."
    )
    refusals = {
        "/rule set-opd pohon DINASX": "Perubahan ditolak: OPD 'DINASX' untuk kategori 'pohon' "
        "tidak dikenal; yang ada: BPBD",
        '/rule add-keyword sampah "tps liar"': "Perubahan ditolak: 'tps liar' sudah menjadi "
        "kata kunci 'sampah' (bobot 3)",
        "/rule remove-keyword sampah emas": "Perubahan ditolak: 'emas' bukan kata kunci 'sampah'",
        "/rule add-keyword sampa popok": "Perubahan ditolak: kategori 'sampa' tidak ada",
        "/rule hapus sampah": "Perintah aturan: /rule show KATEGORI;",
    }
    for command, answer in refusals.items():
        assert town.say("admin", command)["reply"].startswith(answer), command
    assert [v.id for v in versions(town.engine)] == [2, 1]


def test_staff_who_are_not_admins_are_refused(town: Town) -> None:
    refused = town.say("budi-dpupr", '/rule add-keyword jalan_rusak "jalan ambles" 3')
    assert refused["result"] == "staff"
    assert refused["reply"] == "Maaf, hanya admin yang dapat mengubah aturan rute."
    assert town.say("budi-dpupr", "/rule show sampah")["reply"] == refused["reply"]
    assert [v.id for v in versions(town.engine)] == [1]
