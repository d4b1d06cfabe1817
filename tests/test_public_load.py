"""A burst of public lookups against a running `aduan serve` on SQLite leaves it working."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path

import httpx
import yaml

from tests.support.deployment import Server, aduan_env, run_cli, write_config
from tests.support.http_recorder import Recorder
from tests.test_end_to_end import POTHOLE


async def _lookups(url: str, codes: list[str], count: int) -> Counter[int]:
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=20) as client:
        responses = await asyncio.gather(
            *(
                client.get(f"{url}/api/v1/web/complaints/{codes[n % len(codes)]}")
                for n in range(count)
            ),
            return_exceptions=True,
        )
    return Counter(r.status_code if isinstance(r, httpx.Response) else 0 for r in responses)


def _unlimited(config: Path) -> None:
    """Per-client rate limits out of the way: every lookup must reach the database."""
    data = yaml.safe_load(config.read_text())
    for name in data.get("http", {}).get("rate_limits") or {}:
        data["http"]["rate_limits"][name] = "1000000/second"
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def test_500_concurrent_lookups_leave_intake_outbox_and_shutdown_working(
    sqlite_url: str, tmp_path: Path, city_app: Recorder
) -> None:
    config = write_config(tmp_path / "config.yaml", web_callback=city_app.url)
    _unlimited(config)
    env = aduan_env(sqlite_url)
    server = Server(config, env, tmp_path)
    try:
        key = run_cli(["web", "key", "create", "portal-kota"], env, tmp_path).stdout.strip()
        portal = {"Authorization": f"Bearer {key}"}
        post = f"{server.url}/api/v1/web/messages"
        code = httpx.post(post, json=POTHOLE, headers=portal).json()["code"]
        city_app.wait_for(1)

        statuses = asyncio.run(_lookups(server.url, [code, "ADU-22222"], 500))
        assert statuses == {200: 250, 404: 250}, statuses

        other = {**POTHOLE, "id": "portal-after", "text": "Sampah menumpuk di TPS pasar baru"}
        filed = httpx.post(post, json=other, headers=portal, timeout=10)
        assert filed.status_code == 201, filed.text
        acks = city_app.wait_for(2, timeout=10)
        assert filed.json()["code"] in acks[1].json()["text"]

        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=5)
        assert time.monotonic() - started < 5
    finally:
        server.stop()
