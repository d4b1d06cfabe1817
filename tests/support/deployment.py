"""Test deployments: the shipped config.yaml with OPD destinations pointed at local servers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_CONFIG = ROOT / "config.yaml"
WEBHOOK_SECRET = "test-webhook-secret"
CALLBACK_SECRET = "test-callback-secret"


def write_config(
    path: Path,
    opd_webhook: str | None = None,
    web_callback: str | None = None,
    staff: list[dict[str, Any]] | None = None,
    **dispatch: Any,
) -> Path:
    """A copy of the shipped config; every OPD posts to `opd_webhook` when given."""
    data = yaml.safe_load(SHIPPED_CONFIG.read_text())
    # Tests post far faster than a citizen: limits high enough to be out of the way.
    data["http"]["rate_limits"] = dict.fromkeys(data["http"]["rate_limits"], "100000/minute")
    if opd_webhook:
        for code, opd in data["opds"].items():
            if code != "TRIAGE":
                opd["destinations"] = [
                    {
                        "kind": "webhook",
                        "url": f"{opd_webhook}/opd/{code}",
                        "secret_env": "ADUAN_OPD_WEBHOOK_SECRET",
                    }
                ]
    if web_callback:
        data["channels"]["web"]["callback_url"] = web_callback
    data["dispatch"].update(dispatch)
    if staff is not None:
        data["staff"] = staff
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def aduan_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "ADUAN_DATABASE_URL": database_url,
            "ADUAN_OPD_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "ADUAN_WEB_CALLBACK_SECRET": CALLBACK_SECRET,
            **extra,
        }
    )
    return env


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed `aduan` command line as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "aduan", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


class Server:
    """`aduan serve` in a subprocess on a free port."""

    def __init__(self, config: Path, env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        self.log = cwd / f"serve-{self.port}.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aduan",
                "serve",
                "--config",
                str(config),
                "--port",
                str(self.port),
            ],
            env=env,
            cwd=cwd,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"aduan serve exited:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"aduan serve did not become healthy:\n{self.log.read_text()}")

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
