"""OPDs and their destinations follow config.yaml while `aduan serve` runs (issue 12 item 6)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.deployment import Server, aduan_env, write_config
from tests.support.http_recorder import Recorder
from tests.support.web_clients import cli_key_headers

ROADS = [
    "Jalan rusak parah di Jl. Kenanga dekat terminal, aspal terkelupas semua",
    "Ada lubang besar di jalan raya Cibiru km 3, sudah sebulan tidak ditambal",
]


def _road(number: int) -> dict[str, Any]:
    return {"sender": f"warga-{number}", "id": f"live-opds-{number}", "text": ROADS[number - 1]}


def _edit(config: Path, change: Any) -> None:
    data = yaml.safe_load(config.read_text())
    change(data)
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def _wait(check: Any, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_a_webhook_added_to_config_yaml_receives_the_next_complaint_without_a_restart(
    database_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "config.yaml")  # DPUPR has no webhook yet
    opd_system = Recorder()
    env = aduan_env(database_url, ADUAN_RULES_CHECK_SECONDS="0.2")
    server = Server(config, env, tmp_path)
    try:
        portal = cli_key_headers(env, tmp_path)
        before = httpx.post(f"{server.url}/api/v1/web/messages", json=_road(1), headers=portal)
        assert before.status_code == 201 and before.json()["opd"] == "DPUPR"

        def add_webhook(data: dict[str, Any]) -> None:
            data["opds"]["DPUPR"]["destinations"] = [
                {
                    "kind": "webhook",
                    "url": f"{opd_system.url}/opd/DPUPR",
                    "secret_env": "ADUAN_OPD_WEBHOOK_SECRET",
                }
            ]

        _edit(config, add_webhook)
        time.sleep(0.5)  # past the check interval
        after = httpx.post(f"{server.url}/api/v1/web/messages", json=_road(2), headers=portal)
        assert after.status_code == 201, after.text
        assert _wait(lambda: len(opd_system.received) >= 1)
        time.sleep(0.5)
        # Only the complaint filed after the edit goes to the new webhook, once.
        assert [r.json()["code"] for r in opd_system.received] == [after.json()["code"]]
        assert "OPDs reloaded" in server.output()
    finally:
        server.stop()


def test_an_opd_added_while_running_is_known_and_a_broken_edit_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "config.yaml")
    env = aduan_env(database_url, ADUAN_RULES_CHECK_SECONDS="0.2")
    server = Server(config, env, tmp_path)
    try:
        scorecard = f"{server.url}/api/v1/reports/scorecard"
        assert "Dinas Pariwisata" not in httpx.get(scorecard).text

        def add_dispar(data: dict[str, Any]) -> None:
            data["opds"]["DISPAR"] = {"name": "Dinas Pariwisata"}

        _edit(config, add_dispar)
        assert _wait(lambda: "Dinas Pariwisata" in httpx.get(scorecard).text)

        config.write_text(config.read_text() + "\nopds: [not, a, mapping\n")  # a typo
        time.sleep(0.5)
        card = httpx.get(scorecard)
        assert card.status_code == 200 and "Dinas Pariwisata" in card.text
        assert _wait(lambda: "does not load; the OPDs stay as they were" in server.output())
    finally:
        server.stop()
