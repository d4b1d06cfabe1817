"""Helpers of the console tests: an app with accounts, signing in, complaints to work on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from aduan.access.accounts import add_account
from aduan.api.app import create_app
from aduan.runtime import Runtime, build_runtime
from aduan.web.csrf import COOKIE
from channels.registry import build_adapters
from tests.support.deployment import write_config
from tests.support.web_clients import key_headers

PASSWORDS = {
    "budi": "budi-jalan-rusak-1",
    "sari": "sari-sampah-2026",
    "admin": "admin-kominfo-2026",
}
POTHOLE = {
    "id": "portal-0001",
    "sender": "warga-42",
    "name": "Siti",
    "text": "Jalan berlubang besar di Jl. Merdeka depan pasar, sudah dua minggu belum diperbaiki",
    "location": {"lat": -6.9147, "lon": 107.6098, "address": "Jl. Merdeka"},
}
GARBAGE = {
    "id": "portal-0002",
    "sender": "warga-43",
    "text": "Sampah menumpuk di TPS pasar baru, bau sekali dan tidak diangkut seminggu",
}


def add_accounts(runtime: Runtime) -> None:
    """Budi of DPUPR, Sari of DLH, and an admin."""
    add_account(runtime.engine, "budi", "Budi Santoso", "staff", "DPUPR", "test", PASSWORDS["budi"])
    add_account(runtime.engine, "sari", "Sari Dewi", "staff", "DLH", "test", PASSWORDS["sari"])
    add_account(runtime.engine, "admin", "Admin Kominfo", "admin", None, "test", PASSWORDS["admin"])


def console_client(tmp_path: Path, database_url: str, **config: Any) -> tuple[Runtime, TestClient]:
    runtime = build_runtime(
        write_config(tmp_path / "config.yaml", **config), database_url, migrate=True
    )
    add_accounts(runtime)
    return runtime, TestClient(
        create_app(runtime, web_adapters(runtime)), base_url="http://127.0.0.1"
    )


def web_adapters(runtime: Runtime) -> dict[str, Any]:
    adapters, _ = build_adapters(runtime.config.channels, env={})
    return adapters


def csrf(client: TestClient) -> str:
    if COOKIE not in client.cookies:
        client.get("/console/signin")
    return client.cookies[COOKIE]


def sign_in(client: TestClient, login: str, password: str | None = None) -> Any:
    return client.post(
        "/console/signin",
        data={
            "login": login,
            "password": PASSWORDS[login] if password is None else password,
            "csrf_token": csrf(client),
            "next": "/console",
        },
        follow_redirects=False,
    )


def file_complaint(client: TestClient, runtime: Runtime, body: dict[str, Any]) -> str:
    answer = client.post("/api/v1/web/messages", json=body, headers=key_headers(runtime.engine))
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["code"])
