"""A real Redis for tests: the local server on 127.0.0.1:6379, started if it is down."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import redis

URL = os.environ.get("ADUAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def ensure_running() -> str | None:
    """None when Redis answers (starting a local one that keeps nothing if needed), else why."""
    if _reachable():
        return None
    if shutil.which("redis-server"):
        subprocess.run(
            [
                "redis-server",
                "--port",
                "6379",
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--daemonize",
                "yes",
            ],
            capture_output=True,
            timeout=30,
        )
        for _ in range(50):
            if _reachable():
                return None
            time.sleep(0.1)
    return f"Redis is not reachable at {URL} and could not be started"
