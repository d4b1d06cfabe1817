"""A real PostgreSQL for tests: the local server on 127.0.0.1:5432, started if it is down."""

from __future__ import annotations

import glob
import os
import subprocess
import uuid
from collections.abc import Iterator

import psycopg
import pytest

ADMIN_DSN = os.environ.get("ADUAN_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _reachable() -> bool:
    try:
        psycopg.connect(ADMIN_DSN, connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


def ensure_running() -> str | None:
    """None when PostgreSQL answers (starting the local cluster if needed), else the reason."""
    if _reachable():
        return None
    versions = sorted(os.path.basename(p) for p in glob.glob("/etc/postgresql/*"))
    if versions:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
            capture_output=True,
            timeout=60,
        )
    if _reachable():
        return None
    return f"PostgreSQL is not reachable at {ADMIN_DSN} and could not be started"


def create_database() -> str:
    name = f"aduan_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_database() -> Iterator[str]:
    """A new, empty database on the real server (started if it is down), dropped after; the
    test fails, never skips, when the server cannot be had."""
    reason = ensure_running()
    if reason:
        pytest.fail(reason)
    url = create_database()
    yield url
    drop_database(url)
