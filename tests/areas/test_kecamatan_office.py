"""A category routes to the office of the kecamatan its complaint names: one destination per
kecamatan office, a general desk for the rest."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from aduan.areas.store import import_areas
from aduan.runtime import build_runtime
from channels.message import InboundMessage
from dispatch.destinations import EmailDestination, for_kecamatan
from storage.engine import transaction
from storage.models import OutboxItem
from tests.support.deployment import write_config

OFFICES = [
    {"kind": "email", "address": "dlh-baleendah@bandungkab.example", "kecamatan": "Baleendah"},
    {"kind": "email", "address": "dlh-soreang@bandungkab.example", "kecamatan": "Soreang"},
    {"kind": "email", "address": "dlh@bandungkab.example"},
]


def test_each_complaint_goes_to_its_kecamatan_office(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADUAN_RULES_CHECK_SECONDS", "0")
    path = write_config(tmp_path / "config.yaml")
    data = yaml.safe_load(path.read_text())
    data["opds"]["DLH"]["destinations"] = OFFICES
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    runtime = build_runtime(path, database_url, migrate=True)
    import_areas(runtime.engine, "32.04")

    def sent_to(n: int, text: str) -> list[str]:
        outcome = runtime.pipeline.handle(
            InboundMessage(channel="web", external_id=f"m{n}", sender=f"web:warga-{n}", text=text)
        )
        assert (outcome.kind, outcome.opd, outcome.status) == ("complaint", "DLH", "routed")
        with transaction(runtime.engine) as session:
            items = session.exec(select(OutboxItem).where(OutboxItem.kind == "dispatch"))
            return [
                i.payload["destination"]["address"]
                for i in items
                if i.idempotency_key.startswith(f"dispatch:{outcome.complaint_code}:")
            ]

    assert sent_to(1, "Sampah menumpuk di kel. Jelekong sudah seminggu tidak diangkut") == [
        "dlh-baleendah@bandungkab.example"
    ]
    assert sent_to(2, "Pohon tumbang menutup jalan di kecamatan Soreang") == [
        "dlh-soreang@bandungkab.example"
    ]
    assert sent_to(3, "Asap pembakaran sampah pabrik bikin sesak napas warga") == [
        "dlh@bandungkab.example"
    ]
    runtime.engine.dispose()


def test_destinations_for_a_kecamatan() -> None:
    offices = [EmailDestination.model_validate(d) for d in OFFICES]
    baleendah, soreang, desk = offices
    assert for_kecamatan(offices, "Baleendah") == [baleendah]
    assert for_kecamatan(offices, "SOREANG") == [soreang]
    assert for_kecamatan(offices, "Cileunyi") == [desk]  # no office of its own: the desk
    assert for_kecamatan(offices, None) == [desk]
    assert for_kecamatan(offices[:2], None) == offices[:2]  # no desk: nothing is dropped
    assert for_kecamatan([desk], "Baleendah") == [desk]  # an OPD without offices: as before
