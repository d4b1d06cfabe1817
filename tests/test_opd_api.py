"""The OPD status API: tokens, ownership, legal transitions, messages to the citizen."""

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
from storage.models import Complaint, Event, Message
from tests.support.deployment import write_config
from tests.support.web_clients import key_headers


@pytest.fixture
def client(tmp_path: Path, sqlite_url: str) -> Iterator[TestClient]:
    runtime = build_runtime(write_config(tmp_path / "config.yaml"), sqlite_url, migrate=True)
    adapters, _ = build_adapters(runtime.config.channels, env={})
    with TestClient(create_app(runtime, adapters)) as test_client:
        test_client.runtime = runtime  # type: ignore[attr-defined]
        yield test_client


def file_complaint(client: TestClient, text: str) -> str:
    """Filed by citizen warga-7 of the city's portal (which posts with its client key)."""
    response = client.post(
        "/api/v1/web/messages",
        json={"text": text, "sender": "warga-7"},
        headers=key_headers(client.runtime.engine),  # type: ignore[attr-defined]
    )
    assert response.status_code == 201, response.text
    return response.json()["code"]


def bearer(client: TestClient, opd: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(client.runtime.engine, opd)}"}  # type: ignore[attr-defined]


def complaint(client: TestClient, code: str) -> tuple[Complaint, list[Event], list[Message]]:
    with transaction(client.runtime.engine) as session:  # type: ignore[attr-defined]
        row = session.exec(select(Complaint).where(Complaint.code == code)).one()
        events = list(session.exec(select(Event).where(Event.complaint_id == row.id)))
        messages = list(
            session.exec(
                select(Message)
                .where(Message.complaint_id == row.id)
                .where(Message.direction == "out")
            )
        )
    return row, events, messages


def test_missing_or_wrong_token_is_refused(client: TestClient) -> None:
    code = file_complaint(client, "Jalan berlubang besar di Jl. Merdeka km 3")
    path = f"/api/v1/opd/complaints/{code}/status"
    assert client.post(path, json={"status": "resolved"}).status_code == 401
    wrong = client.post(
        path, json={"status": "resolved"}, headers={"Authorization": "Bearer aduan_dpupr_guess"}
    )
    assert wrong.status_code == 401 and "invalid" in wrong.json()["error"]
    assert complaint(client, code)[0].status == "routed"


def test_other_opd_cannot_act_and_the_attempt_is_audited(client: TestClient) -> None:
    code = file_complaint(client, "Jalan berlubang besar di Jl. Merdeka km 3")
    dlh = bearer(client, "DLH")
    refused = client.post(
        f"/api/v1/opd/complaints/{code}/status",
        json={"status": "resolved", "note": "bukan urusan kami"},
        headers=dlh,
    )
    assert refused.status_code == 404
    row, events, messages = complaint(client, code)
    assert row.status == "routed" and len(messages) == 1  # only the acknowledgement
    assert [e.actor for e in events if e.kind == "refused"] == ["opd:DLH"]

    # Another OPD's code answers exactly like a code that does not exist: no oracle.
    unknown = "ADU-22222" if code != "ADU-22222" else "ADU-33333"
    for method, path, body in [
        ("POST", "/status", {"status": "resolved"}),
        ("POST", "/messages", {"text": "halo"}),
        ("GET", "", None),
    ]:
        answers = [
            client.request(method, f"/api/v1/opd/complaints/{c}{path}", json=body, headers=dlh)
            for c in (code, unknown)
        ]
        assert [a.status_code for a in answers] == [404, 404]
        assert answers[0].json()["error"].replace(code, unknown) == answers[1].json()["error"]
    assert complaint(client, code)[0].status == "routed"


def test_illegal_transition_is_refused_and_changes_nothing(client: TestClient) -> None:
    code = file_complaint(client, "Jalan berlubang besar di Jl. Merdeka km 3")
    headers = bearer(client, "DPUPR")
    path = f"/api/v1/opd/complaints/{code}/status"
    assert client.post(path, json={"status": "resolved"}, headers=headers).status_code == 200
    again = client.post(path, json={"status": "in_progress"}, headers=headers)
    assert again.status_code == 409
    assert "cannot change status from resolved to in_progress" in again.json()["error"]
    no_reason = file_complaint(client, "Aspal jalan mengelupas di tikungan")
    refused = client.post(
        f"/api/v1/opd/complaints/{no_reason}/status", json={"status": "rejected"}, headers=headers
    )
    assert refused.status_code == 409 and "reason is required" in refused.json()["error"]
    row, _, messages = complaint(client, no_reason)
    assert row.status == "routed" and len(messages) == 1


def test_opd_messages_and_progress_reach_the_citizen(client: TestClient) -> None:
    code = file_complaint(client, "Jalan berlubang besar di Jl. Merdeka km 3")
    headers = bearer(client, "DPUPR")
    sent = client.post(
        f"/api/v1/opd/complaints/{code}/messages",
        json={"text": "Mohon kirim foto lubangnya"},
        headers=headers,
    )
    assert sent.status_code == 200
    client.post(
        f"/api/v1/opd/complaints/{code}/status",
        json={"status": "in_progress", "note": "Tim menuju lokasi"},
        headers=headers,
    )
    row, _, messages = complaint(client, code)
    texts = [m.text for m in messages]
    assert (
        texts[1] == f"{code} - pesan dari Dinas Pekerjaan Umum dan Penataan Ruang: "
        "Mohon kirim foto lubangnya"
    )
    assert texts[2] == f"{code}: status kini Sedang ditangani. Catatan: Tim menuju lokasi"
    assert row.first_response_at is not None
    listed = client.get("/api/v1/opd/complaints?status=in_progress", headers=headers).json()
    assert [c["code"] for c in listed] == [code]
    assert "warga-7" not in str(listed)


def test_invalid_status_body_gets_a_clear_error(client: TestClient) -> None:
    code = file_complaint(client, "Jalan berlubang besar di Jl. Merdeka km 3")
    response = client.post(
        f"/api/v1/opd/complaints/{code}/status",
        json={"status": "done"},
        headers=bearer(client, "DPUPR"),
    )
    assert response.status_code == 422 and "status: Input should be" in response.json()["error"]


def test_reassign_refusals_are_400_for_bad_input_and_409_for_the_wrong_state(
    client: TestClient,
) -> None:
    code = file_complaint(client, "Jalan berlubang besar di Jl. Merdeka km 3")
    headers = bearer(client, "DPUPR")
    path = f"/api/v1/opd/complaints/{code}/reassign"
    unknown = client.post(path, json={"opd": "NASA", "reason": "salah alamat"}, headers=headers)
    assert unknown.status_code == 400 and "unknown OPD 'NASA'" in unknown.json()["error"]
    client.post(
        f"/api/v1/opd/complaints/{code}/status", json={"status": "resolved"}, headers=headers
    )
    late = client.post(path, json={"opd": "DLH", "reason": "urusan DLH"}, headers=headers)
    assert late.status_code == 409
    assert "cannot change status from resolved to reassigned" in late.json()["error"]
    assert complaint(client, code)[0].opd == "DPUPR"
