"""The public site in a real browser (Debian chromium, offline) against a running `aduan serve`:
a citizen reports with a photo and a pin, follows the report by its private link, DPUPR staff
resolve it in the console, the citizen sees it resolved and rates it; the public map shows it
anonymised, never a pungli report."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml
from playwright.sync_api import expect

from aduan.runtime import build_runtime
from tests.console.kit import PASSWORDS, add_accounts
from tests.public.kit import jpeg_with_gps
from tests.support.browser import OfflineBrowsing, look
from tests.support.deployment import Server, aduan_env, write_config

# Tiles from a server that is not there: the pins must show all the same.
NO_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"
NAME, PHONE, EMAIL, NIK = (
    "Siti Aminah",
    "0812-3456-7890",
    "siti.aminah@example.id",
    "3273015608900004",
)
ROAD = (
    "Jalan rusak parah dan berlubang besar di Jl. Merdeka depan pasar, aspal hancur. "
    f"Nama saya {NAME}, hubungi {PHONE} atau {EMAIL}, NIK {NIK}"
)
BRIBE = "Ada pungli di kantor kelurahan, petugas minta uang suap untuk surat pengantar"
RESOLVED_NOTE = "Lubang sudah ditambal dan diaspal ulang"
PERSONAL = (NAME, "Aminah", PHONE, "081234567890", EMAIL, NIK)


def _serve(tmp_path: Path, database_url: str) -> Server:
    """`aduan serve` without map tiles, with console accounts (Budi Santoso of DPUPR)."""
    path = write_config(tmp_path / "config.yaml")
    data = yaml.safe_load(path.read_text())
    data["maps"]["tile_url"] = NO_TILES
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    runtime = build_runtime(path, database_url, migrate=True)
    add_accounts(runtime)
    runtime.engine.dispose()
    return Server(path, aduan_env(database_url), tmp_path)


def test_a_citizen_reports_follows_and_rates_and_the_map_shows_it_anonymised(
    tmp_path: Path, database_url: str, offline: OfflineBrowsing
) -> None:
    server = _serve(tmp_path, database_url)
    try:
        page = offline.new_page("phone")
        page.goto(f"{server.url}/")
        expect(page.locator("html")).to_have_attribute("lang", "id")
        expect(page.locator("h1")).to_have_text("Laporkan masalah")
        page.fill("#text", ROAD)
        page.set_input_files(
            "#photos",
            {"name": "jalan.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps(-7.2, 110.4)},
        )
        page.locator("#pick-map").click(position={"x": 120, "y": 140})
        expect(page.locator("#location-status")).to_contain_text("Lokasi ditandai")
        pin = (float(page.input_value("#lat")), float(page.input_value("#lon")))
        assert abs(pin[0] - -6.9147) < 0.05 and abs(pin[1] - 107.6098) < 0.05
        expect(page.locator("#pick-map .leaflet-marker-icon")).to_have_count(1)
        page.fill("#name", NAME)
        page.fill("#contact", EMAIL)
        look(page, "public-report")
        page.click("button[type=submit]")

        expect(page.locator("h1")).to_have_text("Laporan diterima")
        code = page.locator("#code").inner_text()
        expect(page.locator("#category")).to_have_text("Jalan rusak")
        expect(page.locator("#opd")).to_have_text("Dinas Pekerjaan Umum dan Penataan Ruang")
        expect(page.locator("#due")).to_contain_text("WIB")
        link = page.locator("#private-link").get_attribute("href") or ""
        assert link.startswith(f"{server.url}/lacak/{code}?secret=")
        look(page, "public-received")

        page.goto(link)
        expect(page.locator("#status")).to_have_text("Diteruskan ke instansi")
        expect(page.locator("#opd")).to_have_text("Dinas Pekerjaan Umum dan Penataan Ruang")
        expect(page.locator(".complaint-text")).to_have_text(ROAD)
        page.wait_for_function("() => document.querySelector('.photos img').naturalWidth > 0")
        look(page, "public-tracking-routed")

        # DPUPR staff resolve it in the console, with a note for the citizen.
        staff = offline.new_page()
        staff.goto(f"{server.url}/console")
        staff.fill("#login", "budi")
        staff.fill("#password", PASSWORDS["budi"])
        staff.click("button[type=submit]")
        staff.locator(".complaint-row .code", has_text=code).click()
        expect(staff.locator("h1")).to_contain_text(code)
        staff.fill("#resolve-note", RESOLVED_NOTE)
        staff.click("text=Tandai selesai")
        expect(staff.locator("#status")).to_have_text("Selesai")

        page.reload()
        expect(page.locator("#status")).to_have_text("Selesai")
        expect(page.locator("#timeline")).to_contain_text(RESOLVED_NOTE)
        expect(page.locator("#timeline")).not_to_contain_text("opd:DPUPR")
        expect(page.locator("#timeline")).not_to_contain_text("Budi")  # no staff names
        look(page, "public-tracking-resolved")
        page.click("button[name=stars][value='4']")
        expect(page.locator("#notice")).to_be_visible()
        expect(page.locator("#rating")).to_have_text("4 / 5")

        # Someone with only the code sees its status and category, nothing written.
        stranger = offline.new_page()
        stranger.goto(f"{server.url}/lacak/{code}")
        expect(stranger.locator("#status")).to_have_text("Selesai")
        expect(stranger.locator("#category")).to_have_text("Jalan rusak")
        for hidden in ("Merdeka", RESOLVED_NOTE, "Dinas Pekerjaan Umum", *PERSONAL):
            assert hidden not in stranger.content()
        look(stranger, "public-tracking-bare-code")

        bribe = httpx.post(f"{server.url}/api/v1/web/messages", json={"text": BRIBE}).json()
        assert bribe["category"] == "pungli"

        public = offline.new_page()
        public.goto(f"{server.url}/peta")
        expect(public.locator("#report-list")).to_contain_text(code)
        expect(public.locator("#reports-map .leaflet-marker-icon")).to_have_count(1)
        expect(public.locator("#rapor")).to_contain_text("Dinas Pekerjaan Umum dan Penataan Ruang")
        served = [public.content(), httpx.get(f"{server.url}/peta.json").text]
        for text in served:
            assert code in text and "Jl. Merdeka depan pasar" in text
            assert bribe["code"] not in text and "minta uang suap" not in text
            for personal in PERSONAL:
                assert personal not in text, personal
        look(public, "public-map")
        public.click("a[hreflang=en]")
        expect(public.locator("h1")).to_have_text("Map of citizens' reports")
        expect(public.locator("#rapor-heading")).to_have_text("Report card per office")
        look(public, "public-map-en")
    finally:
        server.stop()
