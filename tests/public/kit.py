"""Helpers of the public site's tests: an app, filing a report, staff acting on it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from aduan.access.opd_tokens import create_token
from aduan.api.app import create_app
from aduan.runtime import Runtime, build_runtime
from aduan.web.csrf import COOKIE
from channels.registry import build_adapters
from tests.support.deployment import write_config

POTHOLE = "Jalan berlubang besar di Jl. Merdeka depan pasar, motor sering jatuh"
STAFF_NOTE = "Lubang sudah ditambal dan diaspal ulang oleh tim Pak Budi Hartono"


def public_client(tmp_path: Path, database_url: str, **config: Any) -> Iterator[TestClient]:
    runtime = build_runtime(
        write_config(tmp_path / "config.yaml", **config), database_url, migrate=True
    )
    adapters, _ = build_adapters(runtime.config.channels, env={})
    with TestClient(create_app(runtime, adapters), base_url="http://127.0.0.1") as client:
        client.runtime = runtime  # type: ignore[attr-defined]
        yield client
    runtime.engine.dispose()


def runtime_of(client: TestClient) -> Runtime:
    return client.runtime  # type: ignore[attr-defined,no-any-return]


def csrf(client: TestClient) -> str:
    if COOKIE not in client.cookies:
        client.get("/lacak")
    return client.cookies[COOKIE]


def file_on_web(client: TestClient, text: str = POTHOLE, **more: Any) -> tuple[str, str]:
    """A report filed anonymously on the web channel: its code and tracking secret."""
    answer = client.post("/api/v1/web/messages", json={"text": text, **more})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return body["code"], body["tracking_secret"]


def opd_sets(client: TestClient, code: str, status: str, note: str, opd: str = "DPUPR") -> None:
    token = create_token(runtime_of(client).engine, opd)
    response = client.post(
        f"/api/v1/opd/complaints/{code}/status",
        json={"status": status, "note": note},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text


def visible_text(html: str) -> str:
    """The page's text without tags (what a reader sees, roughly)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def jpeg_with_gps(lat: float = -6.9147, lon: float = 107.6098, camera: str = "KameraHP") -> bytes:
    """A small JPEG whose EXIF says where (and with which camera) it was taken."""
    import io

    from PIL import Image

    def dms(value: float) -> tuple[float, float, float]:
        value = abs(value)
        degrees, rest = divmod(value * 3600, 3600)
        minutes, seconds = divmod(rest, 60)
        return (degrees, minutes, round(seconds, 4))

    exif = Image.Exif()
    exif[0x8825] = {
        1: "S" if lat < 0 else "N",
        2: dms(lat),
        3: "W" if lon < 0 else "E",
        4: dms(lon),
    }
    exif[0x010F] = camera
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 100, 0)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def report_form(client: TestClient, **fields: str) -> dict[str, str]:
    """The report form's fields as a browser would send them (CSRF token included)."""
    page = client.get("/lapor")
    submission = re.search(r'name="submission" value="([^"]+)"', page.text)
    assert submission is not None
    return {"csrf_token": csrf(client), "submission": submission.group(1), **fields}
