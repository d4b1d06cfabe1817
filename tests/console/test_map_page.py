"""The console map's markers: one per located complaint in the filter, scoped as the inbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.console.kit import console_client, file_complaint, sign_in

PLACES = [
    ("Jalan berlubang besar di Jl. Merdeka, motor jatuh", -6.9147, 107.6098),
    ("Jalan rusak parah dan berlubang di Jl. Asia Afrika", -6.9210, 107.6070),
    ("Sampah menumpuk di TPS pasar baru, tidak diangkut seminggu", -6.9300, 107.6200),
    ("Lampu jalan mati di Jl. Dago sudah tiga hari", -6.8850, 107.6130),
]


def located(number: int, text: str, lat: float, lon: float) -> dict[str, Any]:
    return {
        "id": f"map-{number}",
        "sender": f"warga-map-{number}",
        "text": text,
        "location": {"lat": lat, "lon": lon},
    }


def test_one_point_per_located_complaint_in_the_filter(tmp_path: Path, database_url: str) -> None:
    runtime, client = console_client(tmp_path, database_url)
    codes = [
        file_complaint(client, runtime, located(n, text, lat, lon))
        for n, (text, lat, lon) in enumerate(PLACES)
    ]
    unplaced = {"id": "map-x", "sender": "warga-x", "text": "Jalan berlubang di depan sekolah"}
    file_complaint(client, runtime, unplaced)

    def points(**query: str) -> dict[str, list[Any]]:
        answer = client.get("/console/map/points", params=query)
        assert answer.status_code == 200, answer.text
        return {p[0]: p for p in answer.json()["points"]}

    sign_in(client, "admin")
    everything = points()
    assert set(everything) == set(codes)  # the complaint without a place is not drawn
    assert everything[codes[0]][1:4] == [-6.9147, 107.6098, "routed"]
    assert set(points(category="jalan_rusak")) == set(codes[:2])
    assert set(points(opd="DLH")) == {codes[2]}
    assert set(points(status="resolved")) == set()
    assert set(points(since="2000-01-01", until="2000-01-31")) == set()
    assert client.get("/console/map").status_code == 200

    client.cookies.clear()
    sign_in(client, "sari")  # DLH: only DLH's, whatever the filter asks
    assert set(points()) == {codes[2]}
    assert set(points(opd="DPUPR")) == {codes[2]}
