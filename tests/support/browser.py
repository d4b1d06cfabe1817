"""Pages in a real browser: Debian's chromium driven by Playwright, offline, at two sizes.

`browser` launches /usr/bin/chromium once per test module (never a downloaded build) and
stops Playwright after it: the sync API runs an event loop in the main thread, and while it
runs no later test can call `asyncio.run`.
`offline_page` opens a fresh context (its own cookies) where every request that does not go
to 127.0.0.1 is aborted and recorded, as on a Pemkab intranet without internet; the test
fails if any was made. `look(page, name)` photographs the page at desktop and phone width
into artifacts/screenshots/ and runs axe-core (from npm, inside the page) on each, failing on
any critical accessibility violation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright

from tests.support.deployment import ROOT

CHROMIUM = "/usr/bin/chromium"
SCREENS = {"desktop": (1280, 900), "phone": (390, 844)}
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
AXE_URL = "/static/vendor/axe-core/axe.min.js"
LOCAL_HOSTS = frozenset({"127.0.0.1"})


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class OfflineBrowsing:
    """Contexts whose requests leave this machine never: each attempt is aborted and kept."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.outside: list[str] = []
        self.contexts: list[BrowserContext] = []

    def _route(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def new_page(self, screen: str = "desktop", **options: Any) -> Page:
        """A page in a fresh context (no cookies), at the `screen` size."""
        width, height = SCREENS[screen]
        context = self.browser.new_context(viewport={"width": width, "height": height}, **options)
        context.route("**/*", self._route)
        self.contexts.append(context)
        return context.new_page()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def offline(browser: Browser) -> Iterator[OfflineBrowsing]:
    browsing = OfflineBrowsing(browser)
    yield browsing
    browsing.close()
    assert browsing.outside == [], f"requests left the machine: {browsing.outside}"


def axe_violations(page: Page, impacts: tuple[str, ...] = ("critical",)) -> list[dict[str, Any]]:
    """axe-core's violations of the given impacts on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    result = page.evaluate("async () => await window.axe.run(document)")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": len(v["nodes"])}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def look(
    page: Page, name: str, screens: tuple[str, ...] = tuple(SCREENS), fits: bool = False
) -> list[Path]:
    """Screenshots of the page at each screen size, each checked by axe (no critical issue);
    with `fits`, the page must also fit each screen's width (no sideways scrolling)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    shots = []
    try:
        for screen in screens:
            width, height = SCREENS[screen]
            page.set_viewport_size({"width": width, "height": height})
            path = SCREENSHOTS / f"{name}-{screen}.png"
            page.screenshot(path=str(path), full_page=True)
            shots.append(path)
            critical = axe_violations(page)
            assert critical == [], f"{name} at {screen} width: {critical}"
            if fits:
                wide = page.evaluate("() => document.documentElement.scrollWidth")
                assert wide <= width, f"{name} is {wide}px wide on a {width}px {screen} screen"
    finally:
        if original:
            page.set_viewport_size(original)
    return shots
