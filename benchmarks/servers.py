"""Servers the benchmarks start: a free local port, a process that answers /health, the load."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(
    command: list[str], env: dict[str, str], cwd: Path, log: Path | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Run `command --port N` and wait until its /health answers; returns it and its URL.

    Its output goes to `log` (shown if it does not start), else nowhere.
    """
    port = free_port()
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=log.open("w") if log else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(log.read_text() if log else f"{command} did not start")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
