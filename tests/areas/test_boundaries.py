"""A GPS point is placed in its kecamatan (and desa) by the admin's boundary file (GeoJSON).

The fixture's polygons are made up (rectangles near Bandung), named by real codes of 32.04:
Baleendah 32.04.32 with its kelurahan Jelekong 32.04.32.1004, and Soreang 32.04.37.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlmodel import select
from typer.testing import CliRunner

from aduan.api.app import create_app
from aduan.areas.boundaries import Boundaries, BoundaryError, PointArea
from aduan.areas.store import import_areas
from aduan.cli.main import app
from aduan.config import ConfigError
from aduan.runtime import build_runtime
from channels.registry import build_adapters
from storage.complaints import complaint_by_code
from storage.engine import transaction
from storage.models import OutboxItem
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
