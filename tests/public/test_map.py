"""The public map and list: anonymised, public categories only, places rounded where the
category says so, each OPD's report card beside them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from storage.engine import transaction
from storage.models import Complaint
from tests.public.kit import public_client, report_form, runtime_of

NAME, PHONE, EMAIL, NIK = (
    "Siti Aminah",
    "0812-3456-7890",
    "siti.aminah@example.id",
    "3273015608900004",
)
ROAD = (
    "Jalan rusak parah dan berlubang besar di Jl. Merdeka depan pasar, aspal hancur. "
    f"Nama saya {NAME}, hubungi {PHONE} atau {EMAIL}, NIK {NIK}"
)
BRIBE = "Ada pungli di kantor kelurahan, petugas minta uang suap untuk surat pengantar"
AID = "Bansos PKH keluarga kami tidak diterima tiga bulan, padahal terdaftar"


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    yield from public_client(tmp_path, database_url)


def _file(client: TestClient, text: str, lat: str, lon: str, **more: str) -> str:
    answer = client.post("/lapor", data=report_form(client, text=text, lat=lat, lon=lon, **more))
    assert answer.status_code == 201, answer.text
    with transaction(runtime_of(client).engine) as session:
        return session.exec(
            select(Complaint.code).order_by(Complaint.id.desc())  # type: ignore[union-attr]
        ).first()


def test_the_map_and_list_never_show_who_reported_or_a_pungli_report(client: TestClient) -> None:
    road = _file(client, ROAD, "-6.914712", "107.609834", name=NAME, contact=EMAIL)
    bribe = _file(client, BRIBE, "-6.9", "107.6", name="Bambang", contact="081299887766")
    aid = _file(client, AID, "-6.923456", "107.612345")
    with transaction(runtime_of(client).engine) as session:
        assert session.exec(select(Complaint).where(Complaint.code == bribe)).one().category == (
            "pungli"
        )
    page = client.get("/peta")
    data = client.get("/peta.json")
    assert page.status_code == 200 and data.status_code == 200
    for served in (page.text, data.text):
        assert road in served and aid in served
        assert bribe not in served and "minta uang suap" not in served
        assert "Pungli dan pelanggaran aparatur" not in served  # not even as a category
        for secret in (NAME, "Siti", "Aminah", PHONE, "08123456789", EMAIL, NIK, "Bambang"):
            assert secret not in served, secret
        assert "Jl. Merdeka depan pasar" in served
    reports = {r["code"]: r for r in data.json()["reports"]}
    assert set(reports) == {road, aid}
    # A pothole is a place: exact. An aid report is about a household: rounded (~100 m).
    assert (reports[road]["lat"], reports[road]["lon"]) == (-6.914712, 107.609834)
    assert (reports[aid]["lat"], reports[aid]["lon"]) == (-6.923, 107.612)
    assert reports[aid]["rounded"] and not reports[road]["rounded"]
    assert "[nama]" in reports[road]["text"] and "[email]" in reports[road]["text"]
    assert "contact" not in reports[road] and "name" not in reports[road]


def test_a_report_awaiting_review_or_of_a_private_category_stays_off(client: TestClient) -> None:
    text = "Ada masalah di kantor sebelah rumah saya, mohon dicek"
    unsure = client.post("/lapor", data=report_form(client, text=text))
    assert unsure.status_code == 201
    assert client.get("/peta.json").json()["reports"] == []
    assert "Belum ada laporan" in client.get("/peta").text


def test_the_report_card_names_a_late_opd_red(client: TestClient) -> None:
    road = _file(client, ROAD, "-6.91", "107.60")
    with transaction(runtime_of(client).engine) as session:
        complaint = session.exec(select(Complaint).where(Complaint.code == road)).one()
        complaint.due_at = datetime.now(UTC) - timedelta(hours=3)
        session.add(complaint)
    page = client.get("/peta")
    card = {row["opd"]: row for row in client.get("/peta.json").json()["report_card"]}
    assert card["DPUPR"]["red"] and card["DPUPR"]["overdue_now"] == 1
    assert "TRIAGE" not in card
    assert "Rapor merah" in page.text and "Dinas Pekerjaan Umum dan Penataan Ruang" in page.text


def test_the_map_page_in_english(client: TestClient) -> None:
    client.get("/language/en", params={"next": "/peta"})
    page = client.get("/peta")
    assert "Report card per office" in page.text and 'lang="en"' in page.text


def test_the_view_is_computed_at_most_every_map_cache_seconds(client: TestClient) -> None:
    first = _file(client, ROAD, "-6.91", "107.60")
    assert [r["code"] for r in client.get("/peta.json").json()["reports"]] == [first]
    second = _file(client, AID, "-6.92", "107.61")
    assert [r["code"] for r in client.get("/peta.json").json()["reports"]] == [first]
    runtime_of(client).config.public.map_cache_seconds = 0
    codes = [r["code"] for r in client.get("/peta.json").json()["reports"]]
    assert codes == [second, first]


def test_the_report_card_counts_no_report_of_a_private_category(client: TestClient) -> None:
    """How many pungli reports came in is the inspectors' business, not the public's."""
    bribes = [_file(client, BRIBE, "-6.90", "107.60") for _ in range(2)]
    _file(client, ROAD, "-6.91", "107.60")
    with transaction(runtime_of(client).engine) as session:
        filed = session.exec(select(Complaint).where(Complaint.code.in_(bribes))).all()  # type: ignore[attr-defined]
        assert {c.opd for c in filed} == {"INSPEKTORAT"}
    card = {row["opd"]: row for row in client.get("/peta.json").json()["report_card"]}
    assert "INSPEKTORAT" not in card
    assert card["DPUPR"]["received"] == 1
    assert "Inspektorat" not in client.get("/peta").text
