"""The admin pages in a real browser (Debian chromium, offline) against a running `aduan serve`:
the rules editor, the rapor merah, the map, staff and OPD management."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.console.test_console_browser import _serve, _sign_in
from tests.console.test_map_page import PLACES, located
from tests.support.browser import OfflineBrowsing, look
from tests.support.deployment import aduan_env
from tests.support.web_clients import cli_key_headers

PUDDLE = "ada kubangan besar di gang mawar, motor sering jatuh"


def _try(page: Page, text: str) -> Locator:
    """Type into the "try a text" box (once htmx has set the page up); the decision shown."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.htmx !== undefined")
    page.fill("#try-text", text)
    return page.locator("#try-decision")


def test_an_admin_adds_a_keyword_and_the_running_server_routes_by_it(
    tmp_path: Path, database_url: str, offline: OfflineBrowsing
) -> None:
    server = _serve(tmp_path, database_url)
    try:
        portal = cli_key_headers(aduan_env(database_url), tmp_path)

        def file(number: int) -> dict[str, str]:
            body = {"id": f"puddle-{number}", "sender": f"warga-{number}", "text": PUDDLE}
            answer = httpx.post(f"{server.url}/api/v1/web/messages", json=body, headers=portal)
            assert answer.status_code in (200, 201), answer.text
            return answer.json()

        assert file(1)["status"] == "needs_review"

        page = offline.new_page()
        page.goto(f"{server.url}/console/rules")
        _sign_in(page, server, "admin")
        expect(page).to_have_url(f"{server.url}/console/rules")
        version = page.locator("#rules-version").inner_text()
        expect(_try(page, "kubangan di gang")).to_contain_text("perlu triase")
        look(page, "console-rules", fits=True)

        page.click("#category-jalan_rusak a")
        keywords = page.locator("#keywords")
        before = keywords.input_value()
        keywords.fill(before + "\nkubangan = minus")
        page.click("text=Simpan sebagai versi baru")
        expect(page.locator("#keywords-error")).to_contain_text("minus")
        expect(page.locator("#keywords")).to_have_attribute("aria-invalid", "true")
        look(page, "console-rule-invalid", fits=True)
        page.goto(f"{server.url}/console/rules")
        expect(page.locator("#rules-version")).to_have_text(version)  # left untouched

        page.click("#category-jalan_rusak a")
        page.locator("#keywords").fill(before + "\nkubangan = 3")
        page.click("text=Simpan sebagai versi baru")
        expect(page.locator("p.notice")).to_contain_text("kini berlaku")
        look(page, "console-rule-category", fits=True)

        page.goto(f"{server.url}/console/rules")
        expect(_try(page, "kubangan di gang")).to_contain_text("diteruskan otomatis")
        # The running server follows the new version within its check interval.
        routed = file(2)
        assert (routed["status"], routed["category"], routed["opd"]) == (
            "routed",
            "jalan_rusak",
            "DPUPR",
        ), routed

        rows = page.locator("#versions > li")
        expect(rows).to_have_count(2)
        page.select_option("#diff-a", index=1)
        page.select_option("#diff-b", index=0)
        page.click("text=Bandingkan")
        expect(page.locator("#diff .diff-add")).to_contain_text(["kubangan: 3"])
        look(page, "console-rules-diff", fits=True)

        page.goto(f"{server.url}/console/rules")
        page.locator("#versions > li").nth(1).locator("button").click()
        expect(page.locator("p.notice")).to_be_visible()
        expect(page.locator("#versions > li")).to_have_count(3)
        expect(_try(page, "kubangan di gang")).to_contain_text("perlu triase")
    finally:
        server.stop()


def test_the_map_shows_one_marker_per_located_complaint_and_the_report_downloads(
    tmp_path: Path, sqlite_url: str, offline: OfflineBrowsing
) -> None:
    server = _serve(tmp_path, sqlite_url)
    try:
        portal = cli_key_headers(aduan_env(sqlite_url), tmp_path)
        codes = []
        for number, (text, lat, lon) in enumerate(PLACES):
            body = located(number, text, lat, lon)
            answer = httpx.post(f"{server.url}/api/v1/web/messages", json=body, headers=portal)
            codes.append(answer.json()["code"])

        page = offline.new_page()
        page.goto(f"{server.url}/console/map")
        _sign_in(page, server, "admin")

        def markers(expected: int) -> None:
            expect(page.locator("#bigmap")).to_have_attribute("data-loaded", str(expected))
            drawn = page.evaluate("() => window.aduanMap.markers.getLayers().length")
            assert drawn == expected
            # The tiles cannot load (no server there): the markers show all the same.
            expect(page.locator("#bigmap .leaflet-marker-icon").first).to_be_visible()

        markers(len(PLACES))
        expect(page.locator("#map-count")).to_contain_text(f"{len(PLACES)} laporan")
        look(page, "console-map", fits=True)
        page.select_option("#category", "jalan_rusak")
        page.click("text=Terapkan")
        markers(2)
        page.select_option("#category", "")
        page.select_option("#opd", "DLH")
        page.click("text=Terapkan")
        markers(1)
        page.locator("#bigmap .status-marker").click()
        expect(page).to_have_url(f"{server.url}/console/complaints/{codes[2]}")

        page.goto(f"{server.url}/console/report")
        expect(page.locator("#scorecard tr[data-opd=DLH] [data-field=received]")).to_have_text("1")
        look(page, "console-report", fits=True)
        with page.expect_download() as download:
            page.click("#csv")
        content = Path(download.value.path()).read_text(encoding="utf-8")
        assert content.startswith("opd,name,received,") and "\nDLH," in content
    finally:
        server.stop()


def test_an_admin_adds_an_account_and_rotates_an_opd_token_in_a_browser(
    tmp_path: Path, sqlite_url: str, offline: OfflineBrowsing
) -> None:
    server = _serve(tmp_path, sqlite_url)
    try:
        page = offline.new_page("phone")
        page.goto(f"{server.url}/console/staff")
        _sign_in(page, server, "admin")
        expect(page.locator("#account-budi")).to_contain_text("DPUPR")
        look(page, "console-staff", fits=True)
        page.fill("#new-login", "dewi")
        page.fill("#new-name", "Dewi Lestari")
        page.select_option("#new-opd", "DLH")
        page.click("text=Tambah akun >> nth=-1")
        expect(page.locator("#secret")).to_contain_text("dewi")
        expect(page.locator("#account-dewi")).to_contain_text("aktif")
        password = page.locator("#secret-value").inner_text()
        dewi = offline.new_page()
        dewi.goto(f"{server.url}/console")
        dewi.fill("#login", "dewi")
        dewi.fill("#password", password)
        dewi.click("button[type=submit]")
        expect(dewi).to_have_url(f"{server.url}/console/password")
        look(dewi, "console-password", fits=True)
        page.locator("#opd-DLH button").click()
        expect(page.locator("#secret")).to_contain_text("DLH")
        token = page.locator("#secret-value").inner_text()
        assert token.startswith("aduan_dlh_")
        expect(page.locator("#opd-DLH td.num")).to_have_text("1")
        look(page, "console-staff-token", fits=True)
        page.locator("#account-dewi button.danger").click()
        expect(page.locator("#account-dewi")).to_contain_text("nonaktif")
        answer = httpx.get(
            f"{server.url}/api/v1/opd/complaints", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200
    finally:
        server.stop()
