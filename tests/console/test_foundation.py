"""The pages' foundation: language switch, local times, CSRF tokens, vendored assets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from aduan.api.app import create_app
from aduan.runtime import build_runtime
from aduan.web.csrf import COOKIE, CsrfCookie, verify_csrf
from aduan.web.i18n import LANGUAGES, catalogue
from aduan.web.timefmt import countdown, local_time
from tests.support.deployment import write_config


@pytest.fixture
def client(tmp_path: Path, sqlite_url: str) -> TestClient:
    runtime = build_runtime(write_config(tmp_path / "config.yaml"), sqlite_url, migrate=True)
    return TestClient(create_app(runtime, {}), base_url="http://127.0.0.1")


def test_both_catalogues_have_the_same_messages() -> None:
    keys = [set(catalogue(language)) for language in LANGUAGES]
    assert keys[0] == keys[1]


def test_times_are_shown_in_the_instance_zone() -> None:
    moment = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)
    assert local_time(moment, ZoneInfo("Asia/Jakarta")) == "02-12-2026 08:30 WIB"
    assert local_time(moment, ZoneInfo("Asia/Makassar")) == "02-12-2026 09:30 WITA"
    assert local_time(moment, ZoneInfo("Asia/Jayapura")) == "02-12-2026 10:30 WIT"


def test_countdown_says_how_long_is_left_or_how_late() -> None:
    now = datetime(2026, 12, 2, tzinfo=UTC)
    assert countdown(now + timedelta(days=2, hours=3), "id", now) == "2 hari 3 jam lagi"
    assert countdown(now - timedelta(hours=5), "en", now) == "5 h 0 min late"


def test_language_switch_sets_a_cookie_and_goes_back_only_to_this_site(
    client: TestClient,
) -> None:
    answer = client.get("/language/en?next=/console?page=2", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console?page=2"
    assert "lang=en" in answer.headers["set-cookie"]
    for foreign in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        answer = client.get("/language/id", params={"next": foreign}, follow_redirects=False)
        assert answer.headers["location"] == "/console"
    assert client.get("/language/xx", follow_redirects=False).status_code == 404


def test_vendored_assets_are_served_by_the_app(client: TestClient) -> None:
    for path in (
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/leaflet-markercluster/leaflet.markercluster.js",
        "/static/vendor/axe-core/axe.min.js",
        "/static/app/site.css",
        "/static/app/site.js",
    ):
        assert client.get(path).status_code == 200, path


def test_pages_keep_the_security_headers(client: TestClient) -> None:
    answer = client.get("/language/id")
    policy = answer.headers["content-security-policy"]
    assert "script-src" not in policy or "unsafe-inline" not in policy
    assert "img-src 'self' data: https://tile.openstreetmap.org" in policy
    assert answer.headers["x-frame-options"] == "DENY"


def _form_app() -> TestClient:
    app = FastAPI()

    @app.post("/console/thing", dependencies=[Depends(verify_csrf)])
    def thing() -> dict[str, str]:
        return {"done": "yes"}

    @app.get("/console/form")
    def form() -> dict[str, str]:
        return {}

    app.add_middleware(CsrfCookie)
    return TestClient(app)


def test_a_form_without_its_csrf_token_is_refused() -> None:
    client = _form_app()
    client.get("/console/form")
    token = client.cookies[COOKIE]
    assert client.post("/console/thing", data={}).status_code == 403
    assert client.post("/console/thing", data={"csrf_token": "x" * 43}).status_code == 403
    assert client.post("/console/thing", data={"csrf_token": token}).status_code == 200
    assert client.post("/console/thing", headers={"X-CSRF-Token": token}).status_code == 200
    client.cookies.clear()  # a foreign page knows no token of ours
    assert client.post("/console/thing", data={"csrf_token": token}).status_code == 403
