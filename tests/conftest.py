"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import postgres
from tests.support.http_recorder import Recorder

# The shared real-browser fixtures (`browser`, `offline`): tests/support/browser.py.
pytest_plugins = ["tests.support.browser"]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new database on a real PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'aduan.db'}"
        return
    yield from postgres.fresh_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'aduan.db'}"


@pytest.fixture
def opd_system() -> Iterator[Recorder]:
    recorder = Recorder()
    yield recorder
    recorder.close()


@pytest.fixture
def city_app() -> Iterator[Recorder]:
    recorder = Recorder()
    yield recorder
    recorder.close()
