"""Keys for the web channel in tests: a city's website posting with its own client key."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from aduan.web_clients import create_key


def key_headers(engine: Engine, client: str = "portal-kota") -> dict[str, str]:
    """Headers of a request from `client`, with a freshly issued key."""
    return {"Authorization": f"Bearer {create_key(engine, client)}"}
