"""A running `aduan serve` follows rule edits without a restart; config.yaml edits are versions."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.deployment import Server, aduan_env, run_cli, write_config

WEEDS = "Kolam retensi di perumahan kami penuh eceng gondok"


def post(server: Server, text: str) -> dict[str, Any]:
    """A report from a new anonymous citizen each time."""
    response = httpx.post(f"{server.url}/api/v1/web/messages", json={"text": text})
    assert response.status_code in (200, 201), response.text
    return response.json()


def routed_within(server: Server, text: str, seconds: float) -> dict[str, Any]:
    """Post `text` until it is routed automatically, or give up after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        filed = post(server, text)
        if filed["status"] == "routed" or time.monotonic() > deadline:
            return filed
        time.sleep(0.3)


def test_cli_edit_changes_the_decision_of_a_running_server(
    database_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "config.yaml")
    env = aduan_env(database_url)
    server = Server(config, env, tmp_path)
    try:
        before = post(server, WEEDS)
        assert (before["category"], before["status"]) == ("lainnya", "needs_review")

        refused = run_cli(
            ["rules", "add-keyword", "drainase", " ", "--config", str(config)], env, tmp_path
        )
        assert refused.returncode == 1 and "keyword must contain" in refused.stderr
        added = run_cli(
            ["rules", "add-keyword", "drainase", "eceng gondok", "--weight", "3",
             "--config", str(config), "--author", "ani", "--note", "kolam retensi"],
            env,
            tmp_path,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert "version 2" in added.stdout and "by ani" in added.stdout

        after = routed_within(server, WEEDS, seconds=10)
        assert (after["category"], after["opd"], after["status"]) == ("drainase", "DPUPR", "routed")
        assert server.process.poll() is None  # the same process, never restarted

        moved = run_cli(
            ["rules", "set-opd", "drainase", "BPBD", "--config", str(config)], env, tmp_path
        )
        assert moved.returncode == 0, moved.stderr
        time.sleep(1.5)  # the server looks for a newer version at most once a second
        drain = post(server, "Got depan sekolah mampet, airnya meluber ke jalan")
        assert (drain["category"], drain["opd"]) == ("drainase", "BPBD")
    finally:
        server.stop()


def history(config: Path, env: dict[str, str], cwd: Path) -> list[str]:
    result = run_cli(["rules", "history", "--config", str(config)], env, cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def restart(config: Path, env: dict[str, str], cwd: Path) -> None:
    Server(config, env, cwd).stop()


def test_config_edits_become_versions_on_restart_and_cli_edits_survive(
    database_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "config.yaml")
    env = aduan_env(database_url)
    restart(config, env, tmp_path)
    restart(config, env, tmp_path)
    (only,) = history(config, env, tmp_path)
    assert "version 1" in only and "by config.yaml" in only

    run_cli(["rules", "add-keyword", "sampah", "popok", "--config", str(config)], env, tmp_path)
    restart(config, env, tmp_path)
    assert "version 2" in history(config, env, tmp_path)[0]  # the CLI edit is kept

    data = yaml.safe_load(config.read_text())
    data["categories"]["drainase"]["keywords"]["eceng gondok"] = 3
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    server = Server(config, env, tmp_path)
    try:
        newest = history(config, env, tmp_path)[0]
        assert newest.startswith("*version 3") and "by config.yaml" in newest
        assert "drainase: +'eceng gondok' (3)" in newest and "sampah: -'popok'" in newest
        assert post(server, WEEDS)["category"] == "drainase"
    finally:
        server.stop()
