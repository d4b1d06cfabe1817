"""A complaint records the kecamatan and desa its text names, once the area list is imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from aduan.areas.store import import_areas
from aduan.runtime import build_runtime
from channels.message import InboundMessage
from storage.complaints import complaint_by_code
from storage.engine import transaction
from tests.support.deployment import write_config


def test_complaint_records_its_kecamatan_and_desa(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADUAN_RULES_CHECK_SECONDS", "0")
    runtime = build_runtime(write_config(tmp_path / "config.yaml"), database_url, migrate=True)

    def file(n: int, text: str) -> tuple[str | None, str | None, dict]:
        outcome = runtime.pipeline.handle(
            InboundMessage(channel="web", external_id=f"m{n}", sender=f"web:warga-{n}", text=text)
        )
        assert outcome.kind == "complaint" and outcome.complaint_code
        with transaction(runtime.engine) as session:
            complaint = complaint_by_code(session, outcome.complaint_code)
        assert complaint is not None
        return complaint.kecamatan, complaint.desa, complaint.explanation or {}

    text = "Jalan berlubang besar di Ds. Rancamanyr RT 02/RW 05, mohon segera diperbaiki"
    before = "Lampu jalan mati di Ds. Rancamanyar sudah seminggu"
    assert file(1, before)[:2] == (None, None)  # no area list yet: nothing to tell it by

    import_areas(runtime.engine, "32.04")
    kecamatan, desa, explanation = file(2, text)
    assert (kecamatan, desa) == ("Baleendah", "Rancamanyar")  # the typo corrected
    assert explanation["area"] == {"kecamatan": "Baleendah", "desa": "Rancamanyar"}
    assert file(3, "Sampah menumpuk di kecamatan Soreng sudah seminggu")[:2] == ("Soreang", None)
    assert file(4, "Pohon tumbang menutup jalan di depan rumah kami")[:2] == (None, None)
    runtime.engine.dispose()
