"""`aduan serve` runs on uvloop and httptools when installed; either can be chosen off."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from aduan.serve import io_report, server_config
from tests.support.deployment import aduan_env, run_cli, write_config


def test_auto_is_uvloop_and_httptools_where_installed() -> None:
    assert io_report("auto", "auto") == "event loop: uvloop, HTTP parser: httptools"
    assert io_report("asyncio", "h11") == "event loop: asyncio, HTTP parser: h11"
    config = server_config(object(), "127.0.0.1", 8000)
    factory = config.get_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
    plain = server_config(object(), "127.0.0.1", 8000, loop="asyncio").get_loop_factory()
    assert plain is not None
    other = plain()
    try:
        assert isinstance(other, asyncio.BaseEventLoop)
        assert not type(other).__module__.startswith("uvloop")
    finally:
        other.close()


def test_an_unknown_loop_is_a_clear_error(tmp_path: Path, sqlite_url: str) -> None:
    with pytest.raises(ValueError, match="loop must be one of"):
        server_config(object(), "127.0.0.1", 8000, loop="twisted")
    config = write_config(tmp_path / "config.yaml")
    result = run_cli(
        ["serve", "--config", str(config), "--loop", "twisted"], aduan_env(sqlite_url), tmp_path
    )
    assert result.returncode == 2
    assert "--loop is one of auto, asyncio, uvloop" in result.stderr
    assert "Traceback" not in result.stderr
