"""What every command shares: the `--config` option and opening the runtime it names."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import Engine

from aduan.config import AppConfig, ConfigError, load_config
from aduan.deployment import ensure_deployment
from aduan.environment import Environment
from aduan.runtime import Runtime, build_runtime
from storage.engine import make_engine
from storage.migrate import upgrade

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", envvar="ADUAN_CONFIG", help="configuration file")
]
DEFAULT_CONFIG = Path("config.yaml")


def open_runtime(config: Path, migrate: bool = False) -> Runtime:
    """The runtime of `config`; a configuration error is printed and exits with status 2."""
    try:
        return build_runtime(config, migrate=migrate)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def open_engine() -> Engine:
    """The database of this environment (ADUAN_DATABASE_URL, default ./aduan.db)."""
    return make_engine(Environment.read().database_url)


def open_database(config: Path, migrate: bool = True) -> tuple[AppConfig, Engine]:
    """`config` and this environment's database, checked to be that deployment's own.

    `migrate` brings the schema up to date (and claims an unclaimed database). A configuration
    error, or a database of another deployment, is printed and exits with status 2.
    """
    try:
        loaded = load_config(config)
        engine = open_engine()
        if migrate:
            upgrade(engine)
        ensure_deployment(engine, loaded, config, claim=migrate)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    return loaded, engine
