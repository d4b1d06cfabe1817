"""End-to-end helpers for channel tests: a deployment with one channel on, and what it stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import yaml

from tests.support.deployment import run_cli, write_config

COMPLAINT = "Jalan berlubang besar di Jl. Merdeka depan pasar, sudah dua minggu belum diperbaiki"


def channel_config(
    tmp_path: Path, sections: dict[str, dict[str, Any]], opd_webhook: str, **dispatch: Any
) -> Path:
    """The shipped config with `sections` under `channels:` and OPDs posting to `opd_webhook`."""
    path = write_config(tmp_path / "config.yaml", opd_webhook=opd_webhook, **dispatch)
    data = yaml.safe_load(path.read_text())
    data["channels"].update(sections)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def rows(database_url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Read what Aduan stored, as a person with database access would."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def execute(database_url: str, sql: str, **params: Any) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(sql), params)
    finally:
        engine.dispose()


def resolve(server_url: str, config: Path, env: dict[str, str], cwd: Path, code: str) -> None:
    """DPUPR staff mark the complaint resolved through the OPD status API."""
    token = run_cli(["opd", "token", "DPUPR", "--config", str(config)], env, cwd)
    assert token.returncode == 0, token.stderr
    response = httpx.post(
        f"{server_url}/api/v1/opd/complaints/{code}/status",
        json={"status": "resolved", "note": "Lubang sudah ditambal"},
        headers={"Authorization": f"Bearer {token.stdout.strip()}"},
    )
    assert response.status_code == 200, response.text
