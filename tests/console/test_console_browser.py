"""The console in a real browser (Debian chromium, offline) against a running `aduan serve`."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from playwright.sync_api import Page, expect

from aduan.runtime import build_runtime
from tests.console.kit import GARBAGE, PASSWORDS, POTHOLE, add_accounts
from tests.console.photos import PhotoServer
from tests.support.browser import OfflineBrowsing, look
from tests.support.deployment import Server, aduan_env, write_config
from tests.support.http_recorder import Recorder
from tests.support.web_clients import cli_key_headers

# Tiles from a server that is not there: the pin must show all the same.
NO_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"


def _console_config(tmp_path: Path, web_callback: str | None = None) -> Path:
    path = write_config(tmp_path / "config.yaml", web_callback=web_callback)
    data = yaml.safe_load(path.read_text())
    data["maps"]["tile_url"] = NO_TILES
    data["console"]["media"] = {"allow_networks": ["127.0.0.0/8"]}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


@pytest.fixture
def photos() -> Iterator[PhotoServer]:
    server = PhotoServer()
    yield server
    server.close()


def _serve(tmp_path: Path, database_url: str, web_callback: str | None = None) -> Server:
    config = _console_config(tmp_path, web_callback)
    runtime = build_runtime(config, database_url, migrate=True)
    add_accounts(runtime)
    runtime.engine.dispose()
    return Server(config, aduan_env(database_url), tmp_path)


def _sign_in(page: Page, server: Server, login: str, password: str | None = None) -> None:
    page.fill("#login", login)
    page.fill("#password", PASSWORDS[login] if password is None else password)
    page.click("button[type=submit]")


def test_sign_in_and_out_and_five_wrong_passwords_in_a_browser(
    tmp_path: Path, sqlite_url: str, offline: OfflineBrowsing
) -> None:
    server = _serve(tmp_path, sqlite_url)
    try:
        page = offline.new_page()
        page.goto(f"{server.url}/console")
        expect(page).to_have_url(re.compile(r"/console/signin\?next=/console$"))
        look(page, "console-signin", fits=True)
        _sign_in(page, server, "budi")
        expect(page).to_have_url(f"{server.url}/console")
        expect(page.locator(".who")).to_contain_text("Budi Santoso")
        page.click("text=Keluar")
        expect(page).to_have_url(f"{server.url}/console/signin")
        page.goto(f"{server.url}/console")
        expect(page).to_have_url(re.compile(r"/console/signin"))

        for attempt in range(5):
            _sign_in(page, server, "budi", f"bukan-sandinya-{attempt}")
        expect(page.locator("#signin-error")).to_contain_text("Terlalu banyak percobaan")
        _sign_in(page, server, "budi")  # the right password, too late
        expect(page.locator("#signin-error")).to_contain_text("Terlalu banyak percobaan")
        look(page, "console-signin-locked", fits=True)
        assert "aduan_session" not in {c["name"] for c in page.context.cookies()}
    finally:
        server.stop()


def test_dpupr_staff_work_a_complaint_from_the_inbox_to_resolved(
    tmp_path: Path,
    database_url: str,
    offline: OfflineBrowsing,
    photos: PhotoServer,
    city_app: Recorder,
) -> None:
    server = _serve(tmp_path, database_url, web_callback=city_app.url)
    try:
        portal = cli_key_headers(aduan_env(database_url), tmp_path)
        photo = {"url": photos.url, "content_type": "image/png"}
        filed = httpx.post(
            f"{server.url}/api/v1/web/messages",
            json={**POTHOLE, "attachments": [photo]},
            headers=portal,
        ).json()
        other = httpx.post(f"{server.url}/api/v1/web/messages", json=GARBAGE, headers=portal)
        code, garbage = filed["code"], other.json()["code"]
        city_app.wait_for(2)  # the two acknowledgements

        page = offline.new_page()
        page.goto(f"{server.url}/console")
        _sign_in(page, server, "budi")
        rows = page.locator(".complaint-row .code")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_text(code)
        look(page, "console-inbox", fits=True)

        rows.first.click()
        expect(page.locator("h1")).to_contain_text(code)
        image = page.locator(".photos img")
        expect(image).to_have_count(1)
        page.wait_for_function("() => document.querySelector('.photos img').naturalWidth > 0")
        expect(page.locator("#map .leaflet-marker-icon")).to_have_count(1)
        look(page, "console-complaint", fits=True)

        page.click("text=Tandai sedang diproses")
        expect(page.locator("p.notice")).to_contain_text("sedang diproses")
        page.fill("#resolve-note", "Lubang sudah ditambal")
        page.click("text=Tandai selesai")
        expect(page.locator("p.notice")).to_contain_text("selesai")
        expect(page.locator("#status")).to_have_text("Selesai")
        timeline = page.locator("#timeline")
        expect(timeline.locator("li[data-to=in_progress]")).to_contain_text("Budi Santoso")
        resolved = timeline.locator("li[data-to=resolved]")
        expect(resolved).to_contain_text("Budi Santoso")
        expect(resolved).to_contain_text("Lubang sudah ditambal")

        notices = [r.json() for r in city_app.wait_for(4)[2:]]
        assert all(n["complaint_code"] == code and n["recipient"] == "warga-42" for n in notices)
        assert "Sedang ditangani" in notices[0]["text"]
        assert "Selesai" in notices[1]["text"] and "Lubang sudah ditambal" in notices[1]["text"]

        answer = page.goto(f"{server.url}/console/complaints/{garbage}")
        assert answer is not None and answer.status == 403
        expect(page.locator("[role=alert]")).to_contain_text("tidak berwenang")
        assert GARBAGE["text"] not in page.content()
        look(page, "console-refused", fits=True)
        # Photos are for signed-in staff only.
        assert httpx.get(f"{server.url}/console/complaints/{code}/photos/0").status_code == 303
    finally:
        server.stop()


UNSURE = {"id": "portal-0003", "sender": "warga-7", "text": "sampah menyumbat selokan"}
VAGUE = {"id": "portal-0004", "sender": "warga-8", "text": "tolong dibantu, ada masalah di sini"}


def test_an_admin_routes_a_complaint_from_triage_to_dlh(
    tmp_path: Path,
    database_url: str,
    offline: OfflineBrowsing,
    opd_system: Recorder,
    city_app: Recorder,
) -> None:
    config = _console_config(tmp_path, web_callback=city_app.url)
    data = yaml.safe_load(config.read_text())
    for code, opd in data["opds"].items():
        if code != "TRIAGE":
            opd["destinations"] = [
                {
                    "kind": "webhook",
                    "url": f"{opd_system.url}/opd/{code}",
                    "secret_env": "ADUAN_OPD_WEBHOOK_SECRET",
                }
            ]
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    runtime = build_runtime(config, database_url, migrate=True)
    add_accounts(runtime)
    runtime.engine.dispose()
    server = Server(config, aduan_env(database_url), tmp_path)
    try:
        portal = cli_key_headers(aduan_env(database_url), tmp_path)
        unsure = httpx.post(f"{server.url}/api/v1/web/messages", json=UNSURE, headers=portal)
        assert unsure.json()["status"] == "needs_review", unsure.text
        code = unsure.json()["code"]
        vague = httpx.post(f"{server.url}/api/v1/web/messages", json=VAGUE, headers=portal)
        assert vague.json()["status"] == "needs_review", vague.text
        refused = vague.json()["code"]
        city_app.wait_for(2)  # the acknowledgements with the choices

        page = offline.new_page("phone")
        page.goto(f"{server.url}/console/triage")
        _sign_in(page, server, "admin")
        expect(page).to_have_url(f"{server.url}/console/triage")
        row = page.locator(f"#triage-{code}")
        expect(row).to_contain_text("sampah menyumbat selokan")
        look(page, "console-triage", fits=True)
        row.locator("select[name=category]").select_option("sampah")
        row.locator("button", has_text="Teruskan").click()
        expect(page.locator("p.notice")).to_contain_text(code)
        expect(page.locator(f"#triage-{code}")).to_have_count(0)

        (delivery,) = opd_system.wait_for(1)
        assert delivery.path == "/opd/DLH" and delivery.json()["code"] == code
        told = city_app.wait_for(3)[2].json()
        assert told["complaint_code"] == code and "Dinas Lingkungan Hidup" in told["text"]

        other = page.locator(f"#triage-{refused}")
        other.locator("summary", has_text="Tolak").click()
        other.locator("textarea[name=reason]").fill("Laporan tidak jelas, mohon kirim ulang")
        other.locator("button", has_text="Tolak").click()
        expect(page.locator("p.notice")).to_contain_text(refused)
        expect(page.locator(f"#triage-{refused}")).to_have_count(0)
        rejected = city_app.wait_for(4)[3].json()
        assert rejected["complaint_code"] == refused
        assert "Laporan tidak jelas, mohon kirim ulang" in rejected["text"]
        time.sleep(1.5)  # a second delivery would have come by now
        assert len(opd_system.received) == 1

        page.goto(f"{server.url}/console/complaints/{code}")
        expect(page.locator("li[data-to=routed]")).to_contain_text("Admin Kominfo")
    finally:
        server.stop()
