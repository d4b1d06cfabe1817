"""A GPS point is placed in its kecamatan (and desa) by the admin's boundary file (GeoJSON).

The fixture's polygons are made up (rectangles near Bandung), named by real codes of 32.04:
Baleendah 32.04.32 with its kelurahan Jelekong 32.04.32.1004, and Soreang 32.04.37.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlmodel import col, select
from typer.testing import CliRunner

from aduan.api.app import create_app
from aduan.areas.boundaries import Boundaries, BoundaryError, PointArea
from aduan.areas.store import import_areas
from aduan.cli.main import app
from aduan.complaints.outcome import Outcome
from aduan.config import ConfigError
from aduan.runtime import build_runtime
from channels.message import InboundMessage, Location, SendResult
from channels.registry import build_adapters
from dispatch.outbox import OutboxWorker
from storage.complaints import complaint_by_code
from storage.engine import transaction
from storage.models import Event, OutboxItem
from tests.support.deployment import write_config

FIXTURE = Path(__file__).parent / "data" / "boundaries.geojson"
IN_JELEKONG = (-6.99, 107.65)
IN_BALEENDAH = (-7.01, 107.61)  # not in Jelekong
IN_SOREANG = (-7.05, 107.57)  # the second part of its MultiPolygon
NOWHERE = (-6.80, 107.90)
OFFICES = [
    {"kind": "email", "address": "dlh-baleendah@bandungkab.example", "kecamatan": "Baleendah"},
    {"kind": "email", "address": "dlh-soreang@bandungkab.example", "kecamatan": "Soreang"},
    {"kind": "email", "address": "dlh@bandungkab.example"},
]


def test_points_are_located_in_their_polygons() -> None:
    boundaries = Boundaries.read(FIXTURE)
    assert len(boundaries) == 3
    assert boundaries.locate(*IN_JELEKONG) == PointArea("32.04.32", "32.04.32.1004")
    assert boundaries.locate(*IN_BALEENDAH) == PointArea("32.04.32", None)
    assert boundaries.locate(*IN_SOREANG) == PointArea("32.04.37", None)
    assert boundaries.locate(*NOWHERE) is None
    # On the border Baleendah and Jelekong share, the desa (and so its kecamatan) is named.
    assert boundaries.locate(-6.99, 107.64) == PointArea("32.04.32", "32.04.32.1004")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ('{"type": "Feature"}', "is not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "has no features"),
        (
            {
                "properties": {"kode": "32.04.32"},
                "geometry": {"type": "Point", "coordinates": [1, 2]},
            },
            "feature 0: property 'code' is no kecamatan or desa code",
        ),
        (
            {
                "properties": {"code": "32.04.32"},
                "geometry": {"type": "Point", "coordinates": [1, 2]},
            },
            "feature 0 (32.04.32): a Point, not a polygon",
        ),
        (
            {"properties": {"code": "320432"}, "geometry": {"type": "Polygon", "coordinates": 7}},
            "feature 0 (32.04.32): bad geometry",
        ),
    ],
)
def test_a_bad_boundary_file_stops_start_up(
    tmp_path: Path, sqlite_url: str, content: str | dict, message: str
) -> None:
    if isinstance(content, dict):
        content = json.dumps({"type": "FeatureCollection", "features": [content]})
    (tmp_path / "batas.geojson").write_text(content)
    with pytest.raises(BoundaryError, match=re.escape(message)):
        Boundaries.read(tmp_path / "batas.geojson")
    config = _config(tmp_path, "batas.geojson")
    with pytest.raises(ConfigError, match=f"areas.boundaries: .*{re.escape(message)}"):
        build_runtime(config, sqlite_url, migrate=True)


def test_a_missing_boundary_file_stops_start_up(tmp_path: Path, sqlite_url: str) -> None:
    config = _config(tmp_path, "tidak-ada.geojson")
    with pytest.raises(ConfigError, match=r"areas.boundaries: cannot read .*tidak-ada\.geojson"):
        build_runtime(config, sqlite_url, migrate=True)
    checked = CliRunner().invoke(app, ["config", "check", str(config)])
    assert checked.exit_code == 2 and "areas.boundaries: cannot read" in checked.output
    shutil.copy(FIXTURE, tmp_path / "tidak-ada.geojson")
    assert CliRunner().invoke(app, ["config", "check", str(config)]).exit_code == 0


def _config(tmp_path: Path, boundaries: str) -> Path:
    path = write_config(tmp_path / "config.yaml")
    data = yaml.safe_load(path.read_text())
    data["opds"]["DLH"]["destinations"] = OFFICES
    data["areas"] = {"boundaries": boundaries}
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


@pytest.fixture
def client(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setenv("ADUAN_RULES_CHECK_SECONDS", "0")
    shutil.copy(FIXTURE, tmp_path / "batas.geojson")  # named relative to config.yaml's folder
    runtime = build_runtime(_config(tmp_path, "batas.geojson"), database_url, migrate=True)
    import_areas(runtime.engine, "32.04")
    adapters, _ = build_adapters(runtime.config.channels, env={})
    with TestClient(create_app(runtime, adapters)) as test_client:
        test_client.runtime = runtime  # type: ignore[attr-defined]
        yield test_client
    runtime.engine.dispose()


def report(
    client: TestClient, text: str, point: tuple[float, float]
) -> tuple[str | None, str | None, list[str]]:
    """Post a web report with a location; the complaint's kecamatan, desa and OPD addresses."""
    lat, lon = point
    response = client.post(
        "/api/v1/web/messages", json={"text": text, "location": {"lat": lat, "lon": lon}}
    )
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    with transaction(client.runtime.engine) as session:  # type: ignore[attr-defined]
        complaint = complaint_by_code(session, code)
        assert complaint is not None and complaint.opd == "DLH"
        items = session.exec(select(OutboxItem).where(OutboxItem.kind == "dispatch"))
        sent = [
            i.payload["destination"]["address"]
            for i in items
            if i.idempotency_key.startswith(f"dispatch:{code}:")
        ]
        return complaint.kecamatan, complaint.desa, sent


def test_a_web_report_is_placed_and_routed_by_its_point(client: TestClient) -> None:
    text = "Sampah menumpuk di pinggir jalan sudah seminggu tidak diangkut"
    assert report(client, text, IN_JELEKONG) == (
        "Baleendah",
        "Jelekong",
        ["dlh-baleendah@bandungkab.example"],
    )
    assert report(client, text, IN_SOREANG) == (
        "Soreang",
        None,
        ["dlh-soreang@bandungkab.example"],
    )
    # Outside every polygon the text decides, as without a file; naming nothing, the desk.
    assert report(client, text, NOWHERE) == (None, None, ["dlh@bandungkab.example"])
    named = "Sampah menumpuk di kecamatan Soreang sudah seminggu tidak diangkut"
    assert report(client, named, (-6.60, 108.30))[:2] == ("Soreang", None)


def test_the_point_wins_over_the_name_in_the_text(client: TestClient) -> None:
    text = "Sampah menumpuk dekat pasar Soreang sudah seminggu tidak diangkut"
    assert report(client, text, IN_BALEENDAH) == (
        "Baleendah",
        None,
        ["dlh-baleendah@bandungkab.example"],
    )
    # The desa the text names is kept when the point's kecamatan is its kecamatan.
    text = "Sampah menumpuk di Ds. Rancamanyar sudah seminggu tidak diangkut"
    assert report(client, text, (-6.985, 107.605))[:2] == ("Baleendah", "Rancamanyar")


def _say(runtime: Any, sender: str, key: str, text: str, pin: Location | None = None) -> Outcome:
    """A chat message, as a channel adapter hands it to the pipeline."""
    inbound = InboundMessage(channel="web", external_id=key, sender=sender, text=text, location=pin)
    return runtime.pipeline.handle(inbound)  # type: ignore[no-any-return]


def _dispatched(runtime: Any, code: str | None) -> list[tuple[str, dict[str, Any], str]]:
    """(address, document, status) of each item to the OPD about complaint `code`."""
    with transaction(runtime.engine) as session:
        complaint = complaint_by_code(session, code or "")
        assert complaint is not None
        items = session.exec(
            select(OutboxItem)
            .where(OutboxItem.kind == "dispatch")
            .where(OutboxItem.complaint_id == complaint.id)
            .order_by(col(OutboxItem.id))
        ).all()
        return [
            (i.payload["destination"]["address"], i.payload["document"], i.status) for i in items
        ]


def _send_to_opds(runtime: Any) -> None:
    """The outbox worker's round, with the OPDs' mail server standing in as a recorder."""

    async def mailbox(payload: dict[str, Any]) -> SendResult:
        return SendResult()

    worker = OutboxWorker(runtime.engine, {"smtp": mailbox}, runtime.ctx.settings)
    while asyncio.run(worker.run_once()):
        pass


GARBAGE = "Sampah menumpuk di pinggir jalan sudah seminggu tidak diangkut"


def test_a_location_sent_after_the_dispatch_tells_the_kecamatan_office(client: TestClient) -> None:
    """As on WhatsApp: the words first, then the shared location. The desk got the complaint
    (no place named); the pin places it in Baleendah, whose office is told, and the console's
    history says where it moved."""
    runtime = client.runtime  # type: ignore[attr-defined]
    filed = _say(runtime, "web:warga-berbagi", "w1", GARBAGE)
    _send_to_opds(runtime)
    pin = Location(lat=IN_JELEKONG[0], lon=IN_JELEKONG[1], address="Gang Melati")
    joined = _say(runtime, "web:warga-berbagi", "w2", "", pin)
    assert joined.kind == "joined" and joined.complaint_code == filed.complaint_code
    sent = _dispatched(runtime, filed.complaint_code)
    assert [(to, doc["event"], status) for to, doc, status in sent] == [
        ("dlh@bandungkab.example", "complaint.created", "sent"),
        ("dlh-baleendah@bandungkab.example", "complaint.updated", "pending"),
    ]
    update = sent[1][1]
    assert update["area"] == {"kecamatan": "Baleendah", "desa": "Jelekong"}
    assert update["location"]["address"] == "Gang Melati"
    assert update["notice"].startswith(str(filed.complaint_code))
    assert update["notice"].endswith("Lokasi: Gang Melati")
    with transaction(runtime.engine) as session:
        complaint = complaint_by_code(session, filed.complaint_code or "")
        assert complaint is not None and (complaint.kecamatan, complaint.desa) == (
            "Baleendah",
            "Jelekong",
        )
        events = session.exec(select(Event).where(Event.complaint_id == complaint.id)).all()
    assert any(e.kind == "located" and e.note == "- -> Baleendah" for e in events)


def test_a_location_before_the_dispatch_left_goes_with_it(client: TestClient) -> None:
    runtime = client.runtime  # type: ignore[attr-defined]
    filed = _say(runtime, "web:warga-cepat", "c1", GARBAGE)
    pin = Location(lat=IN_SOREANG[0], lon=IN_SOREANG[1])
    _say(runtime, "web:warga-cepat", "c2", "", pin)
    ((to, document, status),) = _dispatched(runtime, filed.complaint_code)  # one, not two
    assert (to, status) == ("dlh@bandungkab.example", "pending")
    assert document["location"]["lat"] == IN_SOREANG[0]
    assert document["area"]["kecamatan"] == "Soreang"


def test_a_location_for_a_complaint_in_review_waits_for_the_triage(client: TestClient) -> None:
    runtime = client.runtime  # type: ignore[attr-defined]
    sender = "web:warga-ragu"
    filed = runtime.pipeline.handle(
        InboundMessage(
            channel="web",
            external_id="r1",
            sender=sender,
            text="Ada masalah di dekat rumah saya sudah lama belum ada tindakan mohon dibantu",
        )
    )
    if filed.status != "needs_review":
        pytest.fail(f"the text was routed ({filed.status}); pick one the rules cannot place")
    lat, lon = IN_SOREANG
    runtime.pipeline.handle(
        InboundMessage(
            channel="web",
            external_id="r2",
            sender=sender,
            text="",
            location=Location(lat=lat, lon=lon),
        )
    )
    with transaction(runtime.engine) as session:
        complaint = complaint_by_code(session, filed.complaint_code)
        assert complaint is not None and complaint.kecamatan == "Soreang"
        updates = session.exec(select(OutboxItem).where(OutboxItem.kind == "dispatch")).all()
    assert updates == []  # nobody holds it yet: the OPD picked at triage gets it whole
