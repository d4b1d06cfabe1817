"""The inbox: each OPD its own complaints, admins all; counts, overdue first, search, filters."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from storage.models import Complaint
from tests.console.kit import GARBAGE, POTHOLE, console_client, file_complaint, sign_in


def _codes(html: str) -> list[str]:
    return re.findall(r'class="code" href="/console/complaints/(ADU-\w+)"', html)


def test_staff_see_their_opds_complaints_and_admins_see_all(
    tmp_path: Path, database_url: str
) -> None:
    runtime, client = console_client(tmp_path, database_url)
    pothole = file_complaint(client, runtime, POTHOLE)
    garbage = file_complaint(client, runtime, GARBAGE)
    sign_in(client, "budi")
    page = client.get("/console").text
    assert _codes(page) == [pothole] and "Laporan Dinas Pekerjaan Umum" in page
    client.cookies.clear()
    sign_in(client, "admin")
    page = client.get("/console").text
    assert set(_codes(page)) == {pothole, garbage}
    assert re.search(r"Terbuka\s*<span class=\"count\">\(2\)", page)
    assert _codes(client.get("/console", params={"q": garbage.lower()}).text) == [garbage]
    assert _codes(client.get("/console", params={"q": "merdeka"}).text) == [pothole]
    assert _codes(client.get("/console", params={"category": "sampah"}).text) == [garbage]
    assert _codes(client.get("/console", params={"channel": "telegram"}).text) == []
    assert _codes(client.get("/console", params={"status": "resolved"}).text) == []
    today = datetime.now(runtime.ctx.timezone).date()
    later = {"since": (today + timedelta(days=1)).isoformat()}
    assert _codes(client.get("/console", params=later).text) == []
    assert len(_codes(client.get("/console", params={"since": today.isoformat()}).text)) == 2
    partial = client.get("/console", params={"q": "merdeka"}, headers={"HX-Target": "results"})
    assert "<html" not in partial.text and pothole in partial.text


def test_overdue_complaints_come_first_with_their_lateness_and_pages_follow(
    tmp_path: Path, sqlite_url: str
) -> None:
    runtime, client = console_client(tmp_path, sqlite_url)
    codes = [
        file_complaint(client, runtime, {**POTHOLE, "id": f"p-{n}", "sender": f"w-{n}"})
        for n in range(27)
    ]
    late = codes[5]
    with Session(runtime.engine) as session:
        row = session.exec(select(Complaint).where(Complaint.code == late)).one()
        row.due_at = datetime.now(UTC) - timedelta(hours=5, minutes=10)
        session.add(row)
        session.commit()
    sign_in(client, "budi")
    first = client.get("/console").text
    assert _codes(first)[0] == late and "terlambat 5 jam" in first
    assert len(_codes(first)) == 25 and "Halaman 1 dari 2" in first
    second = client.get("/console", params={"page": 2}).text
    assert len(_codes(second)) == 2
    assert set(_codes(first)) | set(_codes(second)) == set(codes)
