"""Staff and OPD management: accounts added and disabled, OPD tokens rotated, all audited."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from aduan.access.opd_tokens import create_token
from storage.models import Event, Staff
from tests.console.kit import console_client, csrf, sign_in


def _secret(html: str) -> str:
    found = re.search(r'<code id="secret-value">([^<]+)</code>', html)
    assert found, html
    return found.group(1)


def test_admin_adds_and_disables_staff_and_rotates_a_token(
    tmp_path: Path, database_url: str
) -> None:
    runtime, client = console_client(tmp_path, database_url)
    old_token = create_token(runtime.engine, "DLH", "city system")
    sign_in(client, "budi")
    assert client.get("/console/staff").status_code == 403
    refused = client.post(
        "/console/staff", data={"csrf_token": csrf(client), "login": "x1", "name": "X"}
    )
    assert refused.status_code == 403

    client.cookies.clear()
    sign_in(client, "admin")
    token = csrf(client)
    bad = client.post(
        "/console/staff",
        data={"csrf_token": token, "login": "dewi", "name": "Dewi", "role": "staff", "opd": ""},
    )
    assert bad.status_code == 400 and "needs its OPD" in bad.text
    added = client.post(
        "/console/staff",
        data={"csrf_token": token, "login": "dewi", "name": "Dewi", "role": "staff", "opd": "DLH"},
    )
    assert added.status_code == 200 and added.headers["cache-control"] == "no-store"
    password = _secret(added.text)
    with Session(runtime.engine) as session:
        dewi = session.exec(select(Staff).where(Staff.login == "dewi")).one()
        assert dewi.opd == "DLH" and password not in (dewi.password_hash or "")
        assert dewi.password_hash and dewi.password_hash.startswith("$argon2id$")

    dewi_client = TestClient(client.app, base_url="http://127.0.0.1")
    first = dewi_client.post(
        "/console/signin",
        data={"login": "dewi", "password": password, "csrf_token": csrf(dewi_client)},
        follow_redirects=False,
    )
    assert first.status_code == 303 and first.headers["location"] == "/console/password"

    disabled = client.post("/console/staff/dewi/disable", data={"csrf_token": token})
    assert disabled.status_code == 200 and "dinonaktifkan" in disabled.text
    assert dewi_client.get("/console", follow_redirects=False).status_code == 303  # ended
    itself = client.post("/console/staff/admin/disable", data={"csrf_token": token})
    assert itself.status_code == 400

    api = "/api/v1/opd/complaints"
    assert client.get(api, headers={"Authorization": f"Bearer {old_token}"}).status_code == 200
    rotated = client.post("/console/staff/opds/DLH/token", data={"csrf_token": token})
    assert rotated.status_code == 200
    new_token = _secret(rotated.text)
    assert client.get(api, headers={"Authorization": f"Bearer {new_token}"}).status_code == 200
    assert client.get(api, headers={"Authorization": f"Bearer {old_token}"}).status_code == 401
    unknown = client.post("/console/staff/opds/NOPE/token", data={"csrf_token": token})
    assert unknown.status_code == 400

    with Session(runtime.engine) as session:
        kinds = {e.kind: e for e in session.exec(select(Event))}
    for kind in ("account_added", "account_disabled", "opd_token_revoked", "opd_token_rotated"):
        assert kinds[kind].actor == "staff:Admin Kominfo <console:admin>", kind
    assert new_token not in str([e.note for e in kinds.values()])
