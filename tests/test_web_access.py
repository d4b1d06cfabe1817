"""The web channel trusts no one's word: client keys, tracking secrets, and what a code shows.

Reproduces issue 11, findings 3 and 4: a stranger naming a victim's `sender` or `id`, and a
bare tracking code showing staff free text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from aduan.access.opd_tokens import create_token
from aduan.api.app import create_app
from aduan.runtime import build_runtime
from channels.registry import build_adapters
from storage.engine import transaction
from storage.models import Complaint, Event
from tests.support.deployment import aduan_env, run_cli, write_config
from tests.support.web_clients import key_headers

POTHOLE = "Jalan berlubang besar di Jl. Merdeka depan pasar, motor sering jatuh"
STAFF_NOTE = "Pak Budi (0812-3456-7890) datang ke rumah Ibu di Jl. Mawar 5"
PUBLIC_FIELDS = {"code", "status", "status_label", "category", "category_label"}


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    runtime = build_runtime(write_config(tmp_path / "config.yaml"), database_url, migrate=True)
    adapters, _ = build_adapters(runtime.config.channels, env={})
    with TestClient(create_app(runtime, adapters)) as test_client:
        test_client.runtime = runtime  # type: ignore[attr-defined]
        yield test_client
    runtime.engine.dispose()


def engine(client: TestClient):  # type: ignore[no-untyped-def]
    return client.runtime.engine  # type: ignore[attr-defined]


def post(client: TestClient, body: dict, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/web/messages", json=body, headers=headers or {})


def opd_update(client: TestClient, code: str, status: str, note: str) -> None:
    token = create_token(engine(client), "DPUPR")
    response = client.post(
        f"/api/v1/opd/complaints/{code}/status",
        json={"status": status, "note": note},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text


def status_of(client: TestClient, code: str) -> str:
    with transaction(engine(client)) as session:
        return session.exec(select(Complaint.status).where(Complaint.code == code)).one()


def test_a_stranger_naming_a_victims_sender_gets_nothing_and_steers_nothing(
    client: TestClient,
) -> None:
    portal = key_headers(engine(client), "portal-kota")
    filed = post(client, {"text": POTHOLE, "sender": "warga-42"}, portal).json()
    code = filed["code"]
    opd_update(client, code, "resolved", "Sudah ditambal")

    # Anonymous: naming a sender is refused outright, and nothing about the victim comes back.
    for text in ["STATUS", "BELUM BERES", "/nilai " + code + " 1"]:
        response = post(client, {"text": text, "sender": "warga-42"})
        assert response.status_code == 401, response.text
        assert code not in response.text
    # Another client's key: its "warga-42" is another person.
    other = key_headers(engine(client), "aplikasi-lain")
    listing = post(client, {"text": "STATUS", "sender": "warga-42"}, other).json()
    assert code not in listing["reply"]
    reopened = post(client, {"text": "BELUM BERES", "sender": "warga-42"}, other).json()
    assert reopened["reply"] == "Tidak ada laporan selesai yang dapat dibuka kembali."
    assert status_of(client, code) == "resolved"

    # The victim's own client, for the victim, still works.
    own = post(client, {"text": "BELUM BERES", "sender": "warga-42"}, portal)
    assert own.status_code == 200, own.text
    assert status_of(client, code) == "reopened"


def test_reusing_a_victims_id_neither_reveals_their_complaint_nor_drops_the_report(
    client: TestClient,
) -> None:
    portal = key_headers(engine(client), "portal-kota")
    victim = post(client, {"text": POTHOLE, "id": "portal-0001", "sender": "warga-42"}, portal)
    code = victim.json()["code"]

    anonymous = post(client, {"text": "Sampah menumpuk di TPS pasar baru", "id": "portal-0001"})
    assert anonymous.status_code == 401 and code not in anonymous.text

    other = key_headers(engine(client), "aplikasi-lain")
    report = post(client, {"text": "Sampah menumpuk di TPS pasar baru", "id": "portal-0001"}, other)
    assert report.status_code == 201, report.text
    assert report.json()["code"] != code and report.json()["category"] == "sampah"
    # The same client retrying its own id is still one complaint.
    again = post(client, {"text": POTHOLE, "id": "portal-0001", "sender": "warga-42"}, portal)
    assert again.json()["result"] == "duplicate" and again.json()["code"] == code


def test_an_anonymous_retry_is_one_complaint_but_a_strangers_key_reveals_nothing(
    client: TestClient,
) -> None:
    retry = {"Idempotency-Key": "form-1234"}
    first = post(client, {"text": POTHOLE}, retry)
    second = post(client, {"text": POTHOLE}, retry)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["code"] == first.json()["code"]
    stranger = post(client, {"text": "Sampah menumpuk di TPS pasar baru"}, retry)
    assert stranger.status_code == 201 and stranger.json()["code"] != first.json()["code"]


def test_a_bare_code_shows_only_status_and_category(client: TestClient) -> None:
    portal = key_headers(engine(client), "portal-kota")
    filed = post(client, {"text": POTHOLE, "sender": "warga-42"}, portal).json()
    code = filed["code"]
    opd_update(client, code, "in_progress", STAFF_NOTE)
    path = f"/api/v1/web/complaints/{code}"

    bare = client.get(path)
    assert bare.status_code == 200
    assert set(bare.json()) == PUBLIC_FIELDS
    assert bare.json()["status_label"] == "Sedang ditangani"
    assert "0812" not in bare.text and "Mawar" not in bare.text
    assert set(client.get(path, headers=key_headers(engine(client), "aplikasi-lain")).json()) == (
        PUBLIC_FIELDS
    )

    secret = filed["tracking_secret"]
    for full in [
        client.get(filed["tracking_url"]),
        client.get(path, headers={"X-Tracking-Secret": secret}),
        client.get(path, headers=portal),
    ]:
        assert full.status_code == 200, full.text
        assert STAFF_NOTE in full.json()["messages"][-1]["text"]
    wrong = client.get(path, params={"secret": secret[:-2] + "xx"})
    assert wrong.status_code == 403 and "0812" not in wrong.text


def test_status_of_someone_elses_code_hides_agency_and_notes(client: TestClient) -> None:
    portal = key_headers(engine(client), "portal-kota")
    code = post(client, {"text": POTHOLE, "sender": "warga-42"}, portal).json()["code"]
    opd_update(client, code, "in_progress", STAFF_NOTE)

    for sender in ("tetangga", None):  # another citizen of the same portal, and anyone at all
        body = {"text": f"STATUS {code}", **({"sender": sender} if sender else {})}
        reply = post(client, body, portal if sender else None).json()["reply"]
        assert reply == f"{code}: Sedang ditangani. Kategori: Jalan rusak."
    own = post(client, {"text": f"STATUS {code}", "sender": "warga-42"}, portal).json()["reply"]
    assert STAFF_NOTE in own and "Dinas Pekerjaan Umum" in own


def test_the_tracking_secret_lets_an_anonymous_citizen_act_on_their_complaint(
    client: TestClient,
) -> None:
    filed = post(client, {"text": POTHOLE}).json()
    code, secret = filed["code"], filed["tracking_secret"]
    assert filed["tracking_url"].endswith(f"/api/v1/web/complaints/{code}?secret={secret}")
    opd_update(client, code, "resolved", "Sudah ditambal")

    without = post(client, {"text": "BELUM BERES"})
    assert without.json()["reply"] == "Tidak ada laporan selesai yang dapat dibuka kembali."
    assert status_of(client, code) == "resolved"
    forged = post(client, {"text": "BELUM BERES"}, {"X-Tracking-Secret": "tebakan"})
    assert forged.status_code == 403 and status_of(client, code) == "resolved"
    # With the secret, the citizen's claim is proven; a sender may not be added to it.
    named = post(client, {"text": "BELUM BERES", "sender": "x"}, {"X-Tracking-Secret": secret})
    assert named.status_code == 401
    reopened = post(client, {"text": "BELUM BERES"}, {"X-Tracking-Secret": secret})
    assert reopened.status_code == 200, reopened.text
    assert status_of(client, code) == "reopened"
    listing = post(client, {"text": "STATUS"}, {"X-Tracking-Secret": secret}).json()
    assert code in listing["reply"]
    with transaction(engine(client)) as session:
        stored = session.exec(select(Complaint.secret_hash).where(Complaint.code == code)).one()
    assert stored and secret not in stored  # only a hash is kept


def test_web_keys_are_issued_listed_and_revoked_from_the_command_line(
    client: TestClient, database_url: str, tmp_path: Path
) -> None:
    env = aduan_env(database_url)
    created = run_cli(["web", "key", "create", "portal-kota", "--label", "situs"], env, tmp_path)
    assert created.returncode == 0, created.stderr
    headers = {"X-Api-Key": created.stdout.strip()}
    filed = post(client, {"text": POTHOLE, "sender": "warga-42"}, headers)
    assert filed.status_code == 201, filed.text

    listed = run_cli(["web", "key", "list"], env, tmp_path)
    assert "portal-kota" in listed.stdout and "active" in listed.stdout
    assert created.stdout.strip() not in listed.stdout
    revoked = run_cli(["web", "key", "revoke", "portal-kota", "--actor", "rina"], env, tmp_path)
    assert revoked.returncode == 0, revoked.stderr

    refused = post(client, {"text": "STATUS", "sender": "warga-42"}, headers)
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]
    assert "revoked" in run_cli(["web", "key", "list"], env, tmp_path).stdout
    with transaction(engine(client)) as session:
        audit = session.exec(select(Event).where(Event.kind == "web_key_revoked")).all()
    assert [e.actor for e in audit] == ["cli:rina"]
