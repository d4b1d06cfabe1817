"""The `aduan` command line."""

from __future__ import annotations

import asyncio
import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

from aduan.cli.access import register as register_access_commands
from aduan.cli.areas import register as register_area_commands
from aduan.cli.options import DEFAULT_CONFIG, ConfigOption, open_engine, open_runtime
from aduan.cli.outbox import register as register_outbox_commands
from aduan.cli.reports import register as register_report_commands
from aduan.cli.routing import register as register_routing_commands
from aduan.cli.staff import register as register_staff_commands
from aduan.config import ConfigError, load_config
from aduan.environment import Environment
from aduan.logs import configure_logging, mask_every_handler
from aduan.runtime import load_boundaries
from dispatch.media_store import StoreUnavailable, describe_store, open_store
from dispatch.templates import shorten
from storage.complaints import complaint_by_code, latest_complaints
from storage.engine import transaction
from storage.events import events_of
from storage.migrate import upgrade
from storage.models import Complaint

app = typer.Typer(
    help="Aduan: multichannel complaint intake for local governments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
config_app = typer.Typer(help="The configuration file.", no_args_is_help=True)
complaints_app = typer.Typer(help="Look at complaints.", no_args_is_help=True)
opd_app = typer.Typer(help="OPD access to the status API.", no_args_is_help=True)


@app.callback()
def _every_command() -> None:
    """Every command logs masked lines, not only serve (warnings reach the terminal masked)."""
    mask_every_handler()


app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(complaints_app, name="complaints")
app.add_typer(opd_app, name="opd")


@app.command()
def serve(
    config: ConfigOption = DEFAULT_CONFIG,
    host: Annotated[
        str, typer.Option(envvar="ADUAN_HOST", help="address to listen on")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="ADUAN_PORT", help="port to listen on")] = 8000,
    loop: Annotated[
        str,
        typer.Option(
            envvar="ADUAN_LOOP", help="event loop: auto (uvloop when installed), asyncio, uvloop"
        ),
    ] = "auto",
    http: Annotated[
        str,
        typer.Option(
            envvar="ADUAN_HTTP", help="HTTP parser: auto (httptools when installed), h11, httptools"
        ),
    ] = "auto",
    role: Annotated[
        str,
        typer.Option(
            envvar="ADUAN_ROLE",
            help="all: everything in one process; web: HTTP only; worker: outbox, SLA timer "
            "and pollers, no listener (docs/scaling.md)",
        ),
    ] = "all",
    processes: Annotated[
        int,
        typer.Option(envvar="ADUAN_PROCESSES", help="web processes on one port (--role web)"),
    ] = 1,
    heartbeat: Annotated[
        float, typer.Option(help="seconds between a worker's 'alive' log lines", min=0.1)
    ] = 60.0,
) -> None:
    """Run the web app, channel pollers and outbox worker (migrates the database first)."""
    from aduan.serve import LOOPS, PARSERS, ROLES, run_server

    if loop not in LOOPS or http not in PARSERS:
        raise typer.BadParameter(
            f"--loop is one of {', '.join(LOOPS)}; --http of {', '.join(PARSERS)}"
        )
    if role not in ROLES:
        raise typer.BadParameter(f"--role is one of {', '.join(ROLES)}, not {role!r}")
    if processes < 1 or (processes > 1 and role != "web"):
        raise typer.BadParameter(
            "--processes N (at least 1) runs N web processes with --role web; start more "
            "workers as more `aduan serve --role worker` commands"
        )
    configure_logging()
    run_server(
        open_runtime(config, migrate=True),
        host,
        port,
        echo=typer.echo,
        loop=loop,
        http=http,
        role=role,
        processes=processes,
        config_path=config,
        heartbeat_seconds=heartbeat,
    )


@app.command()
def chat(
    config: ConfigOption = DEFAULT_CONFIG,
    user: Annotated[str, typer.Option(help="your name as a citizen")] = getpass.getuser(),
) -> None:
    """Chat with the bot in this terminal as a citizen."""
    from aduan.cli.chat import chat as run_chat

    asyncio.run(run_chat(open_runtime(config, migrate=True), user))


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Apply database migrations (SQLite file by default; ADUAN_DATABASE_URL for PostgreSQL)."""
    engine = open_engine()
    upgrade(engine)
    typer.echo(f"database at head: {engine.url!r}")


@db_app.command("claim")
def db_claim(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Make the database this configuration's own (after renaming the instance)."""
    from aduan.deployment import claim_for, database_name

    try:
        loaded = load_config(config)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    engine = open_engine()
    upgrade(engine)
    previous = claim_for(engine, loaded)
    was = f' (was "{previous}")' if previous and previous != loaded.instance.name else ""
    typer.echo(f'{database_name(engine)} belongs to "{loaded.instance.name}"{was}')


@config_app.command("check")
def config_check(
    file: Annotated[Path | None, typer.Argument(help="file to check")] = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Validate a configuration file and report every problem with its line; try its media store."""
    path = file or config
    try:
        loaded = load_config(path)
        load_boundaries(loaded, path)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    try:  # the keys the config names, the endpoint and the bucket
        open_store(loaded.media, Environment.read().variables).check()
    except StoreUnavailable as exc:
        typer.echo(f"{path}: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"{path}: OK ({len(loaded.categories)} categories, {len(loaded.opds)} OPDs, "
        f"media kept in {describe_store(loaded.media)})"
    )


@complaints_app.command("list")
def complaints_list(
    config: ConfigOption = DEFAULT_CONFIG,
    status: Annotated[str | None, typer.Option(help="only this status")] = None,
    opd: Annotated[str | None, typer.Option(help="only this OPD")] = None,
    limit: int = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    codes: Annotated[bool, typer.Option("--codes", help="only the codes, one a line")] = False,
) -> None:
    """The newest complaints, filed times in the instance's time zone (as citizens read them)."""
    runtime = open_runtime(config)
    with transaction(runtime.engine) as session:
        rows = latest_complaints(session, limit, status=status, opd=opd)
    if codes:
        for c in rows:
            typer.echo(c.code)
        return
    if as_json:
        typer.echo(json.dumps([_complaint_row(c) for c in rows], indent=2))
        return
    if not rows:
        typer.echo("no complaints")
        return
    typer.echo(f"{'CODE':<10} {'STATUS':<12} {'OPD':<12} {'CATEGORY':<16} {'FILED':<20} TEXT")
    for c in rows:
        typer.echo(
            f"{c.code:<10} {c.status:<12} {c.opd:<12} {c.category:<16} "
            f"{runtime.ctx.local_time(c.created_at):<20} {shorten(c.text, LISTED_TEXT)}"
        )


LISTED_TEXT = 50  # characters of each complaint's text in `complaints list`


def _complaint_row(c: Complaint) -> dict:
    """A complaint for --json: times in UTC (ISO 8601), as a program reads them."""
    return {
        "code": c.code,
        "status": c.status,
        "category": c.category,
        "opd": c.opd,
        "confidence": c.confidence,
        "text": c.text,
        "created_at": c.created_at.isoformat(),
        "due_at": c.due_at.isoformat() if c.due_at else None,
    }


@complaints_app.command("show")
def complaints_show(code: str, config: ConfigOption = DEFAULT_CONFIG) -> None:
    """One complaint with its full history, times in the instance's time zone."""
    runtime = open_runtime(config)
    with transaction(runtime.engine) as session:
        complaint = complaint_by_code(session, code.upper())
        if complaint is None:
            typer.echo(f"no complaint with code {code}", err=True)
            raise typer.Exit(1)
        assert complaint.id is not None
        events = events_of(session, complaint.id)
    local = runtime.ctx.local_time
    fields = {
        "code": complaint.code,
        "status": complaint.status,
        "category": complaint.category,
        "opd": complaint.opd,
        "confidence": f"{complaint.confidence:.2f}" if complaint.confidence is not None else "-",
        "text": complaint.text,
        "filed": local(complaint.created_at),
        "due": local(complaint.due_at),
    }
    for key, value in fields.items():
        typer.echo(f"{key:>11}: {value}")
    typer.echo("    history:")
    for e in events:
        change = f"{e.from_status or ''} -> {e.to_status}" if e.to_status else ""
        typer.echo(
            f"      {local(e.created_at)} {e.kind:<14} {e.actor:<20} {change} {e.note or ''}"
        )


register_routing_commands(app)
register_outbox_commands(app)
register_access_commands(app, opd_app)
register_report_commands(app)
register_staff_commands(app)
register_area_commands(app)
