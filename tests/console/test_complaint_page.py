"""The complaint page and its actions, through the same domain actions as the chat commands."""

from __future__ import annotations

from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from aduan.api.app import create_app
from aduan.runtime import build_runtime
from storage.models import Complaint, Event, OutboxItem
from tests.console.kit import (
    GARBAGE,
    POTHOLE,
    console_client,
    csrf,
    file_complaint,
    sign_in,
    web_adapters,
)
from tests.support.deployment import free_port


def _events(runtime, code: str) -> list[Event]:  # type: ignore[no-untyped-def]
    with Session(runtime.engine) as session:
        complaint = session.exec(select(Complaint).where(Complaint.code == code)).one()
        return list(session.exec(select(Event).where(Event.complaint_id == complaint.id)))


def _citizen_messages(runtime, code: str) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(runtime.engine) as session:
        complaint = session.exec(select(Complaint).where(Complaint.code == code)).one()
        items = session.exec(
            select(OutboxItem)
            .where(OutboxItem.complaint_id == complaint.id)
            .where(OutboxItem.kind == "message")
            .order_by(OutboxItem.id)
        )
        return [str(item.payload.get("text", "")) for item in items]


def test_the_page_shows_the_complaint_its_place_and_its_masked_citizen(
    tmp_path: Path, database_url: str
) -> None:
    runtime, client = console_client(tmp_path, database_url)
    code = file_complaint(client, runtime, POTHOLE)
    twin = file_complaint(client, runtime, {**POTHOLE, "id": "portal-9", "sender": "warga-77"})
    sign_in(client, "budi")
    page = client.get(f"/console/complaints/{code.lower()}").text
    assert POTHOLE["text"] in page and "Jl. Merdeka" in page
    assert 'data-lat="-6.9147"' in page and "leaflet.js" in page
    assert "warga-42" not in page and "web:" in page  # the address, masked
    assert twin in page  # the linked report
    assert "Diteruskan" in page  # the timeline: routed


def test_another_opds_complaint_is_refused_and_the_attempt_audited(
    tmp_path: Path, database_url: str
) -> None:
    runtime, client = console_client(tmp_path, database_url)
    garbage = file_complaint(client, runtime, GARBAGE)
    sign_in(client, "budi")
    answer = client.get(f"/console/complaints/{garbage}")
    assert answer.status_code == 403 and GARBAGE["text"] not in answer.text
    answer = client.post(
        f"/console/complaints/{garbage}/resolve", data={"csrf_token": csrf(client), "note": "x"}
    )
    assert answer.status_code == 403
    refused = [e for e in _events(runtime, garbage) if e.kind == "refused"]
    assert len(refused) == 2 and all("Budi Santoso" in e.actor for e in refused)
    assert all(e.to_status != "resolved" for e in _events(runtime, garbage))
    assert client.get(f"/console/complaints/{garbage}/photos/0").status_code == 403
    assert client.get("/console/complaints/ADU-22222").status_code == 404


def test_actions_change_the_status_and_tell_the_citizen_as_chat_commands_do(
    tmp_path: Path, sqlite_url: str
) -> None:
    runtime, client = console_client(tmp_path, sqlite_url)
    code = file_complaint(client, runtime, POTHOLE)
    sign_in(client, "budi")
    token = csrf(client)
    base = f"/console/complaints/{code}"
    answer = client.post(f"{base}/progress", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"{base}?done=in_progress"
    answer = client.post(f"{base}/resolve", data={"csrf_token": token, "note": " "})
    assert answer.status_code == 400  # a resolution needs its note
    answer = client.post(
        f"{base}/message", data={"csrf_token": token, "text": "Besok tim datang", "question": ""}
    )
    assert answer.status_code == 200
    answer = client.post(f"{base}/resolve", data={"csrf_token": token, "note": "Sudah ditambal"})
    assert "Laporan ditandai selesai" in answer.text
    again = client.post(f"{base}/progress", data={"csrf_token": token})
    assert again.status_code == 409  # resolved: no longer in progress
    statuses = [(e.to_status, e.actor) for e in _events(runtime, code) if e.kind == "status"]
    assert ("in_progress", "staff:Budi Santoso <console:budi>") in statuses
    assert ("resolved", "staff:Budi Santoso <console:budi>") in statuses
    messages = _citizen_messages(runtime, code)
    assert any("Sedang ditangani" in m for m in messages)
    assert any("Besok tim datang" in m for m in messages)
    assert any("Selesai" in m and "Sudah ditambal" in m for m in messages)
    page = client.get(base).text
    assert page.count("Budi Santoso") >= 3 and "Sudah ditambal" in page


def test_reassigning_hands_the_complaint_to_the_other_opd(tmp_path: Path, sqlite_url: str) -> None:
    runtime, client = console_client(tmp_path, sqlite_url)
    code = file_complaint(client, runtime, POTHOLE)
    sign_in(client, "budi")
    token = csrf(client)
    base = f"/console/complaints/{code}"
    assert (
        client.post(f"{base}/reassign", data={"csrf_token": token, "opd": "DLH"}).status_code == 400
    )
    answer = client.post(
        f"{base}/reassign",
        data={"csrf_token": token, "opd": "DLH", "reason": "urusan sampah"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert client.get(base).status_code == 403  # Budi's OPD no longer has it
    client.cookies.clear()
    sign_in(client, "sari")
    assert client.get(base).status_code == 200
    with Session(runtime.engine) as session:
        complaint = session.exec(select(Complaint).where(Complaint.code == code)).one()
        dispatches = session.exec(
            select(OutboxItem).where(
                OutboxItem.complaint_id == complaint.id, OutboxItem.kind == "dispatch"
            )
        ).all()
    assert complaint.opd == "DLH" and complaint.status == "reassigned"
    assert any("DLH" in str(d.payload) for d in dispatches)


def test_only_admins_may_open_the_triage_queue(tmp_path: Path, sqlite_url: str) -> None:
    runtime, client = console_client(tmp_path, sqlite_url)
    unsure = file_complaint(
        client, runtime, {"id": "u-1", "sender": "w-7", "text": "sampah menyumbat selokan"}
    )
    sign_in(client, "budi")
    assert client.get("/console/triage").status_code == 403
    answer = client.post(
        f"/console/triage/{unsure}/route", data={"csrf_token": csrf(client), "category": "sampah"}
    )
    assert answer.status_code == 403
    client.cookies.clear()
    sign_in(client, "admin")
    page = client.get("/console/triage").text
    assert unsure in page and "Triase" in page
    token = csrf(client)
    wrong = client.post(
        f"/console/triage/{unsure}/route", data={"csrf_token": token, "category": "x"}
    )
    assert wrong.status_code == 400 and "unknown category" in wrong.text
    answer = client.post(
        f"/console/triage/{unsure}/route",
        data={"csrf_token": token, "category": "drainase"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    with Session(runtime.engine) as session:
        complaint = session.exec(select(Complaint).where(Complaint.code == unsure)).one()
    assert (complaint.status, complaint.category, complaint.opd) == ("routed", "drainase", "DPUPR")
    again = client.post(
        f"/console/triage/{unsure}/route", data={"csrf_token": token, "category": "sampah"}
    )
    assert again.status_code == 400  # no longer waiting for review


def test_a_photo_link_whose_host_is_down_is_a_404_not_a_500(
    tmp_path: Path, sqlite_url: str
) -> None:
    """The portal linked a photo on a host that refuses connections: staff see no photo."""
    runtime, _ = console_client(tmp_path, sqlite_url)
    config = tmp_path / "config.yaml"
    data = yaml.safe_load(config.read_text())
    data["console"]["media"] = {"allow_networks": ["127.0.0.0/8"], "timeout_seconds": 5}
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    runtime.engine.dispose()
    runtime = build_runtime(config, sqlite_url)
    client = TestClient(create_app(runtime, web_adapters(runtime)), base_url="http://127.0.0.1")
    closed = f"http://127.0.0.1:{free_port()}/foto.png"
    photo = {"url": closed, "content_type": "image/png"}
    code = file_complaint(client, runtime, {**POTHOLE, "attachments": [photo]})
    sign_in(client, "budi")
    assert client.get(f"/console/complaints/{code}/photos/0").status_code == 404
