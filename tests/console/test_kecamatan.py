"""The console by kecamatan: the inbox and the map filter by it, the rapor groups by it."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from aduan.areas.store import import_areas
from tests.console.kit import console_client, file_complaint, sign_in

REPORTS = {
    "soreang": ("Jalan berlubang besar di kecamatan Soreang, motor sering jatuh", (-7.03, 107.52)),
    "jelekong": ("Jalan rusak parah di kel. Jelekong sudah dua bulan", (-7.00, 107.65)),
    "nowhere": ("Jalan berlubang di depan rumah kami belum diperbaiki", (-6.90, 107.60)),
    "garbage": ("Sampah menumpuk di kecamatan Soreang tidak diangkut seminggu", (-7.04, 107.53)),
}


def _codes(html: str) -> list[str]:
    return re.findall(r'class="code" href="/console/complaints/(ADU-\w+)"', html)


@pytest.fixture
def console(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ADUAN_RULES_CHECK_SECONDS", "0")  # the area list counts at once
    runtime, client = console_client(tmp_path, database_url)
    import_areas(runtime.engine, "32.04")
    codes = {}
    for n, (key, (text, (lat, lon))) in enumerate(REPORTS.items()):
        body = {
            "id": f"p-{n}",
            "sender": f"w-{n}",
            "text": text,
            "location": {"lat": lat, "lon": lon},
        }
        codes[key] = file_complaint(client, runtime, body)
    yield runtime, client, codes
    runtime.engine.dispose()


def test_the_inbox_filters_by_kecamatan(console) -> None:  # type: ignore[no-untyped-def]
    _, client, codes = console
    sign_in(client, "admin")
    page = client.get("/console", params={"kecamatan": "Soreang"}).text
    assert set(_codes(page)) == {codes["soreang"], codes["garbage"]}
    assert '<option value="Soreang" selected>Soreang</option>' in page
    assert '<option value="Cileunyi" >Cileunyi</option>' in page  # the whole area list
    assert "Kec. Soreang" in page  # each row says its kecamatan
    assert _codes(client.get("/console", params={"kecamatan": "Baleendah"}).text) == [
        codes["jelekong"]
    ]
    assert _codes(client.get("/console", params={"kecamatan": "-"}).text) == [codes["nowhere"]]
    assert _codes(client.get("/console", params={"kecamatan": "Atlantis"}).text) == []
    # The filter keeps to the pager's links, and staff still see only their OPD's complaints.
    both = client.get("/console", params={"kecamatan": "Soreang", "status": "open"}).text
    assert "kecamatan=Soreang" in both
    client.cookies.clear()
    sign_in(client, "budi")  # DPUPR: roads, not garbage
    page = client.get("/console", params={"kecamatan": "Soreang"}).text
    assert _codes(page) == [codes["soreang"]]
    assert client.get("/console", params={"kecamatan": "x" * 129}).status_code == 422


def test_the_map_filters_by_kecamatan(console) -> None:  # type: ignore[no-untyped-def]
    _, client, codes = console
    sign_in(client, "admin")

    def points(**query: str) -> set[str]:
        answer = client.get("/console/map/points", params=query)
        assert answer.status_code == 200
        return {p[0] for p in answer.json()["points"]}

    assert points() == set(codes.values())
    assert points(kecamatan="Soreang") == {codes["soreang"], codes["garbage"]}
    assert points(kecamatan="Soreang", category="sampah") == {codes["garbage"]}
    assert points(kecamatan="-") == {codes["nowhere"]}
    page = client.get("/console/map", params={"kecamatan": "Baleendah"}).text
    assert '<option value="Baleendah" selected>Baleendah</option>' in page
    assert 'data-points="/console/map/points?status=all&amp;kecamatan=Baleendah"' in page
    assert 'href="/console?status=all&amp;kecamatan=Baleendah"' in page


def test_the_rapor_groups_by_kecamatan(console) -> None:  # type: ignore[no-untyped-def]
    _, client, _ = console
    sign_in(client, "admin")
    page = client.get("/console/report", params={"by": "kecamatan"}).text
    received = dict(
        re.findall(r'<tr data-opd="([^"]+)"[^>]*>.*?data-field="received">(\d+)<', page, re.S)
    )
    assert received == {"Baleendah": "1", "Soreang": "2", "-": "1", "TOTAL": "4"}
    assert "Rapor per kecamatan" in page and "(tidak diketahui)" in page
    assert '<option value="kecamatan" selected>' in page
    assert "by=kecamatan" in re.search(r'id="csv" href="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = client.get("/console/report.csv", params={"by": "kecamatan"})
    assert "rapor-kecamatan-" in answer.headers["content-disposition"]
    rows = {r["opd"]: r["received"] for r in csv.DictReader(io.StringIO(answer.text))}
    assert rows == {"Baleendah": "1", "Soreang": "2", "-": "1", "TOTAL": "4"}
    by_opd = client.get("/console/report", params={"by": "nonsense"}).text  # per OPD, as before
    assert 'data-opd="DPUPR"' in by_opd and 'data-opd="Soreang"' not in by_opd
