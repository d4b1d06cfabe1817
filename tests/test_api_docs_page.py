"""The API documentation page works without internet: a real browser (Debian's chromium,
driven by Playwright) opens /docs of a running `aduan serve` with every request that leaves
this machine refused, and Swagger UI shows the API's operations, on a desktop and a phone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import SCREENS, OfflineBrowsing, look
from tests.support.deployment import Server, aduan_env, write_config


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_docs_show_the_operations_offline(
    tmp_path: Path, sqlite_url: str, offline: OfflineBrowsing, screen: str
) -> None:
    server = Server(write_config(tmp_path / "config.yaml"), aduan_env(sqlite_url), tmp_path)
    page = offline.new_page(screen)
    try:
        page.goto(f"{server.url}/docs")
        operation = page.locator(".opblock-summary-path", has_text="/api/v1/web/messages")
        operation.first.wait_for(timeout=15_000)
        assert page.locator(".opblock").count() >= 5
        look(page, f"docs-{screen}", screens=(screen,))
    finally:
        server.stop()
