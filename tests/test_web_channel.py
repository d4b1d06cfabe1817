"""Bad input to the web channel gets a clear 4xx and leaves the database untouched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import SQLModel

from aduan.api.app import create_app
from aduan.runtime import build_runtime
from channels.registry import build_adapters
from tests.support.deployment import write_config
from tests.support.web_clients import key_headers


@pytest.fixture
def client(tmp_path: Path, sqlite_url: str) -> Iterator[TestClient]:
    config = write_config(tmp_path / "config.yaml")
    runtime = build_runtime(config, sqlite_url, migrate=True)
    adapters, _ = build_adapters(runtime.config.channels, env={})
    with TestClient(create_app(runtime, adapters)) as test_client:
        test_client.runtime = runtime  # type: ignore[attr-defined]
        yield test_client


def row_counts(client: TestClient) -> dict[str, int]:
    engine = client.runtime.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return {
            t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
        }


BAD_SUBMISSIONS = [
    ("empty text", {"json": {"text": "   "}}, 400, "text: Value error, text must not be empty"),
    ("missing text", {"json": {"sender": "x"}}, 400, "text: Field required"),
    ("1 MB of text", {"json": {"text": "jalan rusak " * 90_000}}, 413, "body too large"),
    ("too long text", {"json": {"text": "a" * 6_000}}, 400, "at most 5000 characters"),
    (
        "invalid JSON",
        {"content": b'{"text": "banjir"', "headers": {"content-type": "application/json"}},
        400,
        "invalid JSON",
    ),
    ("not an object", {"json": ["banjir"]}, 400, "body must be a JSON object"),
    ("wrong type", {"json": {"text": 42}}, 400, "text: Input should be a valid string"),
    (
        "bad latitude",
        {"json": {"text": "banjir", "location": {"lat": 123, "lon": 0}}},
        400,
        "location.lat: Input should be less than or equal to 90",
    ),
    (
        "unknown field",
        {"json": {"text": "banjir", "priority": "high"}},
        400,
        "priority: Extra inputs are not permitted",
    ),
    (
        "unsupported media type",
        {"content": b"banjir", "headers": {"content-type": "text/plain"}},
        400,
        "send application/json or application/x-www-form-urlencoded",
    ),
    ("bad language", {"json": {"text": "banjir", "language": "fr"}}, 400, "language"),
]


@pytest.mark.parametrize(
    ("case", "request_kwargs", "status", "message"),
    BAD_SUBMISSIONS,
    ids=[b[0] for b in BAD_SUBMISSIONS],
)
def test_bad_submission_is_refused_and_nothing_is_stored(
    client: TestClient, case: str, request_kwargs: dict, status: int, message: str
) -> None:
    before = row_counts(client)
    response = client.post("/api/v1/web/messages", **request_kwargs)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]
    assert row_counts(client) == before


def test_form_submission_files_a_complaint(client: TestClient) -> None:
    response = client.post(
        "/api/v1/web/messages",
        data={
            "text": "Sampah menumpuk di TPS dekat pasar sudah seminggu",
            "lat": "-6.9",
            "lon": "107.6",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["category"] == "sampah"
    looked_up = client.get(response.json()["tracking_url"]).json()
    assert looked_up["opd"] == "DLH" and looked_up["status"] == "routed"
    assert looked_up["messages"][0]["text"].startswith("Laporan diterima")


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("ADU-22222", 404, "no complaint with code ADU-22222"),
        ("hello", 400, "'hello' is not a tracking code"),
    ],
)
def test_lookup_of_unknown_or_malformed_code(
    client: TestClient, code: str, status: int, message: str
) -> None:
    response = client.get(f"/api/v1/web/complaints/{code}")
    assert response.status_code == status
    assert message in response.json()["error"]


def test_greeting_is_answered_without_filing_a_complaint(client: TestClient) -> None:
    response = client.post("/api/v1/web/messages", json={"text": "selamat pagi admin"})
    assert response.status_code == 200
    assert response.json()["result"] == "reply" and response.json()["code"] is None
    assert row_counts(client)["complaint"] == 0


def test_english_submission_is_answered_in_english(client: TestClient) -> None:
    response = client.post(
        "/api/v1/web/messages",
        json={"text": "There is a big pothole on the main road near the market", "language": "en"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["reply"].startswith("Report received. Code: ADU-")


def test_unsure_complaint_offers_choices_and_a_choice_routes_it(client: TestClient) -> None:
    portal = key_headers(client.runtime.engine)  # type: ignore[attr-defined]
    unsure = client.post(
        "/api/v1/web/messages",
        json={"text": "sampah menyumbat selokan", "sender": "warga-7"},
        headers=portal,
    ).json()
    assert unsure["status"] == "needs_review"
    labels = [choice["label"] for choice in unsure["choices"]]
    assert {"Sampah", "Drainase"} <= set(labels) and labels[-1] == "Lainnya"
    drainage = next(c for c in unsure["choices"] if c["label"] == "Drainase")
    chosen = client.post(
        "/api/v1/web/messages",
        json={"text": drainage["payload"], "sender": "warga-7"},
        headers=portal,
    )
    assert chosen.status_code == 200, chosen.text
    looked_up = client.get(f"/api/v1/web/complaints/{unsure['code']}", headers=portal).json()
    assert looked_up["status"] == "routed" and looked_up["opd"] == "DPUPR"
