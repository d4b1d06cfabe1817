"""Rate limits per client address on the public routes, against a running `aduan serve`
(issue 11, finding 4): tracking codes cannot be guessed at speed, other citizens are served."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support import redis_server
from tests.support.deployment import Server, aduan_env, write_config

LIMITS = {
    "web": "3/minute",
    "lookup": "5/minute",
    "opd": "5/minute",
    "webhooks": "50/minute",
    "other": "5/minute",
}


def serve(tmp_path: Path, sqlite_url: str, **http: Any) -> Server:
    config = write_config(tmp_path / "config.yaml")
    data = yaml.safe_load(config.read_text())
    data["http"].update(rate_limits=LIMITS, **http)
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return Server(config, aduan_env(sqlite_url), tmp_path)


@pytest.fixture
def behind_proxy(tmp_path: Path, sqlite_url: str) -> Iterator[Server]:
    """Aduan behind a reverse proxy on loopback, which names the client in X-Forwarded-For."""
    server = serve(tmp_path, sqlite_url, trusted_proxies=["127.0.0.1"])
    yield server
    server.stop()


def lookups(server: Server, client: str, count: int) -> list[httpx.Response]:
    headers = {"X-Forwarded-For": f"{client}, 127.0.0.1"}
    with httpx.Client(base_url=server.url, headers=headers) as http:
        return [http.get("/api/v1/web/complaints/ADU-7K3Q9") for _ in range(count)]


def test_a_burst_of_guesses_gets_429_while_another_client_is_served(
    behind_proxy: Server,
) -> None:
    burst = lookups(behind_proxy, "203.0.113.7", 8)
    assert [r.status_code for r in burst] == [404] * 5 + [429] * 3
    retry_after = int(burst[-1].headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert [r.status_code for r in lookups(behind_proxy, "203.0.113.8", 2)] == [404, 404]
    # Each public route has its own budget: the guesser may still file a complaint.
    with httpx.Client(base_url=behind_proxy.url) as http:
        filed = [
            http.post(
                "/api/v1/web/messages",
                json={"text": f"Lampu jalan mati di gang {n}, sudah seminggu gelap"},
                headers={"X-Forwarded-For": "203.0.113.7"},
            ).status_code
            for n in range(4)
        ]
        webhooks = {
            http.post(
                "/channels/telegram/webhook", headers={"X-Forwarded-For": "198.51.100.1"}
            ).status_code
            for _ in range(20)
        }
    assert [code in (200, 201) for code in filed] == [True, True, True, False]
    assert filed[-1] == 429
    assert webhooks == {404}  # the provider's higher limit is not reached (telegram is off)


def test_a_forged_forwarded_for_does_not_escape_the_limit(tmp_path: Path, sqlite_url: str) -> None:
    server = serve(tmp_path, sqlite_url)  # no trusted proxy: X-Forwarded-For is not believed
    try:
        answers = [lookups(server, f"203.0.113.{n}", 1)[0].status_code for n in range(8)]
    finally:
        server.stop()
    assert answers == [404] * 5 + [429] * 3


def test_with_redis_two_server_processes_share_one_budget(tmp_path: Path, sqlite_url: str) -> None:
    """Scale-out behind a proxy: a guesser cannot double the budget by hitting both servers."""
    reason = redis_server.ensure_running()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    servers = [
        serve(
            tmp_path / name,
            sqlite_url,
            trusted_proxies=["127.0.0.1"],
            rate_limit_storage=redis_server.URL,
        )
        for name in ("a", "b")
    ]
    guesser = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"  # fresh in Redis
    try:
        answers = [lookups(servers[n % 2], guesser, 1)[0].status_code for n in range(8)]
        other = lookups(servers[1], f"2001:db8::{uuid.uuid4().hex[:4]}", 1)[0].status_code
    finally:
        for server in servers:
            server.stop()
    assert answers == [404] * 5 + [429] * 3  # 5/minute in all, not 5 per server
    assert other == 404
