"""`aduan outbox …`: what waits to be sent and why, dead letters, and sending one again."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated

import typer

from aduan.cli.options import DEFAULT_CONFIG, ConfigOption, open_database
from aduan.config import AppConfig
from aduan.environment import Environment
from aduan.runtime import dispatch_context
from channels.registry import ChannelStatus, build_adapters
from dispatch.senders import SmtpSettings
from storage.engine import transaction
from storage.models import OutboxItem, OutboxStatus
from storage.outbox import items_with_status

outbox_app = typer.Typer(help="What is waiting to be sent, and dead letters.", no_args_is_help=True)


def why_waiting(
    item: OutboxItem, channels: Mapping[str, ChannelStatus], env: Mapping[str, str], now: datetime
) -> str:
    """Why a pending item has not been sent: its last failure, or what is missing.

    Items never tried wait on a sender the server could not start; this environment is taken
    to be the server's (the same env file).
    """
    if item.attempts:
        return f"after {item.attempts} failed attempt(s): {item.last_error or 'unknown error'}"
    if item.kind == "dispatch":
        destination = item.payload.get("destination") or {}
        if item.target == "smtp" and SmtpSettings.from_env(env) is None:
            return "waits: ADUAN_SMTP_HOST is not set (no SMTP server for OPD email)"
        secret = destination.get("secret_env")
        if item.target == "webhook" and secret and not env.get(secret):
            return f"waits: {secret} is not set (the webhook's signing secret)"
    elif item.target == "console":
        user = str(item.payload.get("recipient", "")).removeprefix("console:")
        return f"waits for `aduan chat --user {user}`"
    else:
        channel = channels.get(item.target)
        if channel is not None and not channel.active:
            return f"waits: channel {item.target} is off ({channel.reason})"
    if item.locked_until is not None and item.locked_until > now:
        return "being sent"
    return "due: sent at the next pass of the `aduan serve` outbox worker"


def _channels(config: AppConfig, env: Mapping[str, str]) -> dict[str, ChannelStatus]:
    serving = {k: v for k, v in config.channels.items() if k != "console"}
    _, statuses = build_adapters(serving, env)
    return {status.name: status for status in statuses}


@outbox_app.command("list")
def outbox_list(
    config: ConfigOption = DEFAULT_CONFIG,
    dead: Annotated[bool, typer.Option("--dead", help="only dead letters")] = False,
    limit: int = 50,
) -> None:
    """Pending items and why each waits (or, with --dead, the dead letters and their error)."""
    loaded, engine = open_database(config, migrate=False)
    env = Environment.read().variables
    local = dispatch_context(loaded).local_time
    wanted = OutboxStatus.dead if dead else OutboxStatus.pending
    with transaction(engine) as session:
        rows = items_with_status(session, wanted, limit)
    channels = _channels(loaded, env)
    now = datetime.now(UTC)
    for item in rows:
        why = (item.last_error or "") if dead else why_waiting(item, channels, env, now)
        typer.echo(
            f"{item.id:>6}  {item.kind:<8} {item.target:<10} attempts={item.attempts} "
            f"next={local(item.next_attempt_at)}  {item.idempotency_key}  {why}"
        )
    if not rows:
        typer.echo("no dead letters" if dead else "nothing pending")


@outbox_app.command("retry")
def outbox_retry(item_id: int, config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Queue a dead letter again."""
    from dispatch.outbox import retry_dead

    try:
        retry_dead(open_database(config, migrate=False)[1], item_id)
    except (LookupError, ValueError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"outbox item {item_id} queued again")


def register(app: typer.Typer) -> None:
    app.add_typer(outbox_app, name="outbox")
