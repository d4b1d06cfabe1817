"""The public report page: a report with photos and a place, through the intake pipeline."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import select

from storage.engine import transaction
from storage.models import Complaint, Contact, OutboxItem, Photo
from tests.public.kit import POTHOLE, jpeg_with_gps, public_client, report_form, runtime_of


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    yield from public_client(tmp_path, database_url)


def _complaints(client: TestClient) -> list[Complaint]:
    with transaction(runtime_of(client).engine) as session:
        return list(session.exec(select(Complaint)).all())


def test_the_form_is_the_home_page_in_indonesian(client: TestClient) -> None:
    for path in ("/", "/lapor"):
        page = client.get(path)
        assert page.status_code == 200
        assert 'lang="id"' in page.text and "Kirim laporan" in page.text
        assert 'name="csrf_token"' in page.text and 'id="pick-map"' in page.text


def test_a_report_with_a_photo_gets_a_code_a_private_link_and_is_dispatched(
    client: TestClient,
) -> None:
    photo = jpeg_with_gps(-6.9201, 107.6101)
    answer = client.post(
        "/lapor",
        data=report_form(
            client,
            text=POTHOLE,
            name="Siti Aminah",
            contact="siti.aminah@example.id",
            address="Depan Pasar Baru",
        ),
        files=[("photos", ("jalan.jpg", photo, "image/jpeg"))],
    )
    assert answer.status_code == 201, answer.text
    assert "Dinas Pekerjaan Umum dan Penataan Ruang" in answer.text
    assert "Jalan rusak" in answer.text and "WIB" in answer.text
    (complaint,) = _complaints(client)
    assert complaint.code in answer.text
    assert f"/lacak/{complaint.code}?secret=" in answer.text
    assert "STATUS" not in answer.text  # the chat's instruction means nothing on a web page
    # No pin: the photo's EXIF position stands for the place.
    assert complaint.location_lat == pytest.approx(-6.9201, abs=1e-4)
    assert complaint.location_lon == pytest.approx(107.6101, abs=1e-4)
    assert complaint.location_address == "Depan Pasar Baru"
    with transaction(runtime_of(client).engine) as session:
        contact = session.get(Contact, complaint.contact_id)
        dispatched = session.exec(select(OutboxItem).where(OutboxItem.kind == "dispatch")).all()
    assert contact is not None and contact.display_name == "Siti Aminah"
    assert contact.address.endswith(":mailto:siti.aminah@example.id")
    assert len(dispatched) == 1
    # The photo kept and served has no metadata left: no GPS, no camera.
    (attachment,) = complaint.attachments
    served = client.get(attachment["url"].removeprefix("http://127.0.0.1"))
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert b"KameraHP" not in served.content
    assert Image.open(io.BytesIO(served.content)).getexif() == {}


def test_the_pin_wins_over_the_photo_and_a_reload_files_nothing_new(client: TestClient) -> None:
    form = report_form(client, text=POTHOLE, lat="-6.9000", lon="107.6000")
    photo = [("photos", ("a.jpg", jpeg_with_gps(-7.5, 110.0), "image/jpeg"))]
    first = client.post("/lapor", data=form, files=photo)
    again = client.post("/lapor", data=form, files=photo)
    assert first.status_code == 201 and again.status_code == 200
    (complaint,) = _complaints(client)
    assert (complaint.location_lat, complaint.location_lon) == (-6.9, 107.6)
    assert complaint.code in again.text and "secret=" not in again.text


@pytest.mark.parametrize(
    ("fields", "files", "message"),
    [
        ({"text": ""}, [], "Tuliskan masalahnya"),
        ({"text": POTHOLE + " sekali" * 1000}, [], "paling banyak 5000 karakter"),
        ({"text": POTHOLE, "lat": "91", "lon": "0"}, [], "Lokasi tidak valid"),
        ({"text": POTHOLE, "lat": "nan", "lon": "1"}, [], "Lokasi tidak valid"),
        ({"text": POTHOLE, "contact": "bukan kontak"}, [], "email atau nomor HP"),
        (
            {"text": POTHOLE},
            [("photos", ("x.jpg", b"<html>not a photo</html>", "image/jpeg"))],
            "hanya JPEG",
        ),
        (
            {"text": POTHOLE},
            [("photos", (f"{n}.jpg", jpeg_with_gps(), "image/jpeg")) for n in range(4)],
            "Paling banyak 3 foto",
        ),
    ],
)
def test_bad_input_is_a_400_page_that_keeps_what_was_typed_and_files_nothing(
    client: TestClient, fields: dict[str, str], files: list, message: str
) -> None:
    answer = client.post("/lapor", data=report_form(client, **fields), files=files or None)
    assert answer.status_code == 400
    assert message in answer.text
    if fields["text"]:
        assert POTHOLE in answer.text
    assert _complaints(client) == []
    with transaction(runtime_of(client).engine) as session:
        assert session.exec(select(Photo)).all() == []


def test_without_the_csrf_token_nothing_is_filed(client: TestClient) -> None:
    client.get("/lapor")
    answer = client.post("/lapor", data={"text": POTHOLE, "submission": "x"})
    assert answer.status_code == 403
    assert _complaints(client) == []


def test_an_unsure_report_lets_the_citizen_pick_the_category(client: TestClient) -> None:
    answer = client.post(
        "/lapor",
        data=report_form(client, text="Tolong diperhatikan, di dekat rumah saya ada masalah"),
    )
    assert answer.status_code == 201, answer.text
    (complaint,) = _complaints(client)
    assert complaint.status == "needs_review"
    assert 'action="/lacak/' in answer.text and 'name="category"' in answer.text
    secret = answer.text.split("secret=")[1].split('"')[0]
    chosen = client.post(
        f"/lacak/{complaint.code}/kategori",
        data={"secret": secret, "category": "sampah", "csrf_token": client.cookies["aduan_csrf"]},
    )
    assert chosen.status_code == 200, chosen.text
    (complaint,) = _complaints(client)
    assert (complaint.status, complaint.category, complaint.opd) == ("routed", "sampah", "DLH")


def test_photos_are_bounded_in_size(tmp_path: Path, sqlite_url: str) -> None:
    config = tmp_path / "small"
    config.mkdir()
    clients = public_client(config, sqlite_url)
    client = next(clients)
    path = config / "config.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["public"]["max_photo_bytes"] == 5_242_880
    big = io.BytesIO()
    Image.effect_noise((1800, 1800), 120).convert("RGB").save(big, "PNG")
    assert len(big.getvalue()) > 5_242_880 // 2
    answer = client.post(
        "/lapor",
        data=report_form(client, text=POTHOLE),
        files=[("photos", ("besar.png", big.getvalue() * 2, "image/png"))],
    )
    assert answer.status_code == 400 and "terlalu besar" in answer.text
    too_much = client.post(
        "/lapor",
        data=report_form(client, text=POTHOLE),
        files=[("photos", (f"{n}.png", b"0" * 6_000_000, "image/png")) for n in range(3)],
    )
    assert too_much.status_code == 413
    assert _complaints(client) == []
    clients.close()
