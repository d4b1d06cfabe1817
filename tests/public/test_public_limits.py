"""Rate limits on the public pages, against a running `aduan serve` behind a proxy: the
tracking page and its buttons count as lookups, the report form as submissions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.deployment import Server
from tests.test_rate_limits import serve


@pytest.fixture
def behind_proxy(tmp_path: Path, sqlite_url: str) -> Iterator[Server]:
    server = serve(tmp_path, sqlite_url, trusted_proxies=["127.0.0.1"])
    yield server
    server.stop()


def _from(server: Server, client: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"X-Forwarded-For": f"{client}, 127.0.0.1"})


def test_tracking_lookups_meet_429_while_another_address_is_served(behind_proxy: Server) -> None:
    with _from(behind_proxy, "203.0.113.7") as guesser:
        pages = [guesser.get("/lacak/ADU-7K3Q9") for _ in range(4)]
        button = guesser.post("/lacak/ADU-7K3Q9/nilai", data={"secret": "x", "stars": "5"})
        refused = guesser.get("/lacak/ADU-7K3Q9")
    assert [p.status_code for p in pages] == [404] * 4
    assert button.status_code == 403  # the fifth lookup: no CSRF token
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    with _from(behind_proxy, "203.0.113.8") as neighbour:
        assert neighbour.get("/lacak/ADU-7K3Q9").status_code == 404
        assert neighbour.get("/lapor").status_code == 200


def test_the_report_form_is_limited_per_address(behind_proxy: Server) -> None:
    with _from(behind_proxy, "203.0.113.9") as sender:
        answers = [sender.post("/lapor", data={"text": "jalan rusak"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [403, 403, 403, 429]
