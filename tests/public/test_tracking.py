"""The tracking page: the private link shows the public timeline and the citizen's buttons; a
bare or wrong code shows only status and category; buttons are the chat commands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from aduan.access.opd_tokens import create_token
from dispatch.actions import change_status, message_citizen
from storage.engine import transaction
from storage.models import Complaint, Event, Message
from tests.public.kit import (
    POTHOLE,
    STAFF_NOTE,
    csrf,
    file_on_web,
    opd_sets,
    public_client,
    runtime_of,
    visible_text,
)


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    yield from public_client(tmp_path, database_url)


def _complaint(client: TestClient, code: str) -> Complaint:
    with transaction(runtime_of(client).engine) as session:
        return session.exec(select(Complaint).where(Complaint.code == code)).one()


def test_the_private_link_shows_the_public_timeline_and_never_who_acted(
    client: TestClient,
) -> None:
    code, secret = file_on_web(client)
    opd_sets(client, code, "in_progress", "Tim sudah dijadwalkan turun besok")
    with transaction(runtime_of(client).engine) as session:
        complaint = session.exec(select(Complaint).where(Complaint.code == code)).one()
        message_citizen(
            session,
            complaint,
            "Mohon kirim patokan terdekat",
            "Sari Wulandari",
            runtime_of(client).ctx,
        )
    page = client.get(f"/lacak/{code}", params={"secret": secret})
    assert page.status_code == 200
    text = visible_text(page.text)
    assert POTHOLE in text
    assert "Dinas Pekerjaan Umum dan Penataan Ruang" in text
    assert "Tim sudah dijadwalkan turun besok" in text
    assert "Mohon kirim patokan terdekat" in text
    assert "Sedang ditangani" in text
    # Never the actors, never the classifier's note ("jalan_rusak -> DPUPR (0.93)").
    assert "Sari Wulandari" not in page.text
    assert "opd:DPUPR" not in page.text
    assert "->" not in page.text
    assert page.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("secret", [None, "bukan-rahasia-yang-benar"])
def test_a_bare_or_wrong_code_shows_only_status_and_category(
    client: TestClient, secret: str | None
) -> None:
    code, _ = file_on_web(client, text=POTHOLE + ", nomor saya 081234567890")
    opd_sets(client, code, "in_progress", "Catatan petugas untuk warga")
    page = client.get(f"/lacak/{code}", params={"secret": secret} if secret else {})
    assert page.status_code == 200
    assert code in page.text
    assert "Jalan rusak" in page.text
    for hidden in ("Merdeka", "081234567890", "Catatan petugas", "Dinas Pekerjaan Umum"):
        assert hidden not in page.text
    assert '<form method="post"' not in page.text
    if secret:
        assert "tidak berlaku" in page.text


def test_unknown_and_malformed_codes_are_404_pages(client: TestClient) -> None:
    assert client.get("/lacak/ADU-ZZZZZ").status_code == 404
    answer = client.get("/lacak/bukan-kode")
    assert answer.status_code == 404
    assert "text/html" in answer.headers["content-type"]
    assert (
        client.get("/lacak", params={"code": "adu-zzzzz"}, follow_redirects=False).headers[
            "location"
        ]
        == "/lacak/ADU-ZZZZZ"
    )


def test_rating_and_belum_beres_go_through_the_chat_commands(client: TestClient) -> None:
    code, secret = file_on_web(client)
    opd_sets(client, code, "resolved", STAFF_NOTE)
    page = client.get(f"/lacak/{code}", params={"secret": secret})
    assert STAFF_NOTE in page.text and "Belum beres" in page.text
    token = csrf(client)

    wrong = client.post(
        f"/lacak/{code}/nilai", data={"secret": "salah", "stars": "5", "csrf_token": token}
    )
    assert wrong.status_code == 403
    no_csrf = client.post(f"/lacak/{code}/nilai", data={"secret": secret, "stars": "5"})
    assert no_csrf.status_code == 403
    bad = client.post(
        f"/lacak/{code}/nilai", data={"secret": secret, "stars": "9", "csrf_token": token}
    )
    assert bad.status_code == 422
    assert _complaint(client, code).rating is None

    rated = client.post(
        f"/lacak/{code}/nilai", data={"secret": secret, "stars": "4", "csrf_token": token}
    )
    assert rated.status_code == 200, rated.text
    assert _complaint(client, code).rating == 4
    assert 'id="rating">4 / 5' in rated.text
    with transaction(runtime_of(client).engine) as session:
        commands = session.exec(
            select(Message.text)
            .where(Message.direction == "in")
            .where(Message.text.startswith("/"))
        ).all()
        rating = session.exec(select(Event).where(Event.kind == "rating")).one()
    assert commands == [f"/nilai {code} 4"]
    assert rating.note == "4"

    reopened = client.post(
        f"/lacak/{code}/belum-beres", data={"secret": secret, "csrf_token": token}
    )
    assert reopened.status_code == 200
    assert _complaint(client, code).status == "reopened"
    assert "dibuka kembali" in reopened.text


def test_english_is_selectable(client: TestClient) -> None:
    code, secret = file_on_web(client)
    client.get("/language/en", params={"next": f"/lacak/{code}"})
    page = client.get(f"/lacak/{code}", params={"secret": secret})
    assert "History" in page.text and 'lang="en"' in page.text


def test_a_resolution_photo_shows_on_the_timeline(client: TestClient) -> None:
    code, secret = file_on_web(client)
    own = "http://127.0.0.1/foto/hasil-perbaikan-0001"
    elsewhere = "https://foto.example.id/sesudah.jpg"
    with transaction(runtime_of(client).engine) as session:
        complaint = session.exec(select(Complaint).where(Complaint.code == code)).one()
        photos = [
            {"url": own, "content_type": "image/jpeg"},
            {"url": elsewhere, "content_type": "image/jpeg"},
            {"url": "tg-file:AgACAgIAAxkBAAIB", "content_type": "image/jpeg"},
        ]
        change_status(
            session,
            complaint,
            "resolved",
            "Budi Santoso",
            runtime_of(client).ctx,
            STAFF_NOTE,
            photos,
        )
    page = client.get(f"/lacak/{code}", params={"secret": secret})
    assert '<img src="/foto/hasil-perbaikan-0001"' in page.text
    assert f'href="{elsewhere}"' in page.text and "tg-file" not in page.text
    assert "Budi Santoso" not in page.text


def test_an_opd_system_resolves_with_a_photo_link_the_citizen_sees(client: TestClient) -> None:
    code, secret = file_on_web(client)
    token = create_token(runtime_of(client).engine, "DPUPR")
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/opd/complaints/{code}/status"
    for photos in (["file:///etc/passwd"], ["/foto/x"], ["https://x.example/a.jpg"] * 6):
        body = {"status": "resolved", "note": STAFF_NOTE, "photos": photos}
        assert client.post(url, json=body, headers=headers).status_code == 422
    done = {"status": "resolved", "note": STAFF_NOTE, "photos": ["https://dpupr.example.id/1.jpg"]}
    assert client.post(url, json=done, headers=headers).status_code == 200
    page = client.get(f"/lacak/{code}", params={"secret": secret})
    assert 'href="https://dpupr.example.id/1.jpg"' in page.text and STAFF_NOTE in page.text
