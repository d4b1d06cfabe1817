"""Helpers for the rule-editing tests: the `aduan` CLI in-process against a fresh database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from aduan.cli.main import app
from aduan.rules.store import Version, history
from storage.engine import make_engine
from tests.support.deployment import write_config

Cli = Callable[..., Result]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "config.yaml")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def cli(database_url: str, config: Path) -> Cli:
    """`aduan rules …` with --config, as a user runs it; returns the click Result."""
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(
            app,
            ["rules", *args, "--config", str(config)],
            env={"ADUAN_DATABASE_URL": database_url},
        )

    return run


def versions(engine: Engine) -> list[Version]:
    """All rule versions, newest first."""
    return history(engine, limit=1000)
