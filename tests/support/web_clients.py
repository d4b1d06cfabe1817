"""Keys for the web channel in tests: a city's website posting with its own client key."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from aduan.access.web_clients import create_key
from tests.support.deployment import run_cli


def key_headers(engine: Engine, client: str = "portal-kota") -> dict[str, str]:
    """Headers of a request from `client`, with a freshly issued key."""
    return {"Authorization": f"Bearer {create_key(engine, client)}"}


def cli_key_headers(env: dict[str, str], cwd: Path, client: str = "portal-kota") -> dict[str, str]:
    """The same, with the key issued by `aduan web key create` as an admin would (for tests
    against a running `aduan serve`, whose database `env` names)."""
    result = run_cli(["web", "key", "create", client], env, cwd)
    assert result.returncode == 0, result.stderr
    return {"Authorization": f"Bearer {result.stdout.strip()}"}
