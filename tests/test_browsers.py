"""Browsers: CORS for the configured origins only, cross-site forms refused, security headers on
every answer (issue 11, finding 9)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from storage.models import Message
from tests.support.all_channels import serve_all

CITY_SITE = "https://lapor.pemkab-contoh.go.id"
STRANGER = "https://evil.example"
COMPLAINT = "Jalan berlubang besar di Jl. Merdeka depan pasar, sudah dua minggu"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def client(tmp_path: Path, sqlite_url: str) -> Iterator[TestClient]:
    with serve_all(tmp_path, sqlite_url, http={"cors_origins": [CITY_SITE]}) as test_client:
        yield test_client


def preflight(client: TestClient, origin: str) -> dict[str, str]:
    answer = client.options(
        "/api/v1/web/messages",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, idempotency-key",
        },
    )
    return dict(answer.headers)


def stored(client: TestClient) -> int:
    engine = client.runtime.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Message)).scalar_one()


def test_preflight_from_the_city_site_is_allowed_and_a_strangers_is_not(
    client: TestClient,
) -> None:
    allowed = preflight(client, CITY_SITE)
    assert allowed["access-control-allow-origin"] == CITY_SITE
    assert "POST" in allowed["access-control-allow-methods"]
    assert "idempotency-key" in allowed["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in preflight(client, STRANGER)


def test_the_city_site_posts_json_and_reads_the_answer(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/web/messages",
        json={"text": COMPLAINT},
        headers={"Origin": CITY_SITE, "Sec-Fetch-Site": "cross-site"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.headers["access-control-allow-origin"] == CITY_SITE


def test_a_cross_site_form_post_is_refused_and_nothing_is_stored(client: TestClient) -> None:
    body = f"text={COMPLAINT}".encode()
    refused = [
        client.post("/api/v1/web/messages", content=body, headers={**FORM, **headers})
        for headers in (
            {"Origin": STRANGER, "Sec-Fetch-Site": "cross-site"},
            {"Origin": STRANGER},  # an older browser without Fetch metadata
            {"Origin": "null"},  # a sandboxed frame or a data: URL
            {"Sec-Fetch-Site": "cross-site"},
        )
    ]
    assert [answer.status_code for answer in refused] == [403, 403, 403, 403]
    assert stored(client) == 0
    # A form on the city's own site, and on Aduan's own pages, are still taken.
    own = client.post(
        "/api/v1/web/messages",
        content=body,
        headers={**FORM, "Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"},
    )
    city = client.post(
        "/api/v1/web/messages",
        content=b"text=Lampu jalan mati di Jl. Mawar sejak seminggu",
        headers={**FORM, "Origin": CITY_SITE},
    )
    assert (own.status_code, city.status_code) == (201, 201), (own.text, city.text)


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    answers = [
        client.get("/health"),
        client.get("/api/v1/web/complaints/ADU-7K3Q9"),  # 404
        client.post("/api/v1/web/messages", json={"text": ""}),  # 400
        client.get("/api/v1/opd/complaints"),  # 401
        client.get("/openapi.json"),
        client.get("/docs"),
    ]
    for answer in answers:
        headers = answer.headers
        where = f"{answer.request.method} {answer.request.url.path}"
        assert headers["x-content-type-options"] == "nosniff", where
        assert headers["x-frame-options"] == "DENY", where
        assert headers["referrer-policy"] == "no-referrer", where
        assert "frame-ancestors 'none'" in headers["content-security-policy"], where
    api_policy = answers[0].headers["content-security-policy"]
    assert "default-src 'self'" in api_policy and "unsafe-inline" not in api_policy
    # /docs runs the app's own copy of Swagger UI: no CDN, so it works without internet.
    docs_policy = answers[-1].headers["content-security-policy"]
    assert "https:" not in docs_policy and "cdn" not in answers[-1].text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in answers[-1].text
