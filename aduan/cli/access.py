"""CLI for API access: OPD status-API tokens and web channel client keys.

`aduan opd token list|create|revoke|rotate` (and, as before, `aduan opd token OPD` to issue one)
and `aduan web key list|create|revoke` (also as `aduan open311 key …`: Open311's api_keys are
web client keys). Keys and tokens are printed once; issuing and revoking a key are audited
with the acting user.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.engine import Engine
from typer.core import TyperGroup

from aduan.access.opd_tokens import (
    TokenError,
    create_token,
    list_tokens,
    revoke_tokens,
    rotate_token,
)
from aduan.access.web_clients import WebClientError, create_key, list_keys, revoke_keys
from aduan.cli.options import DEFAULT_CONFIG, ConfigOption, open_database, open_engine
from storage.migrate import upgrade

ActorOption = Annotated[
    str, typer.Option("--actor", help="who acts, for the audit trail (default: your login)")
]


class _TokenGroup(TyperGroup):
    """`aduan opd token DPUPR`, the original way to issue a token, still means `create DPUPR`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # a click Context
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["create", *args]
        return super().parse_args(ctx, args)


token_app = typer.Typer(
    cls=_TokenGroup, help="Status-API tokens of the OPDs.", no_args_is_help=True
)
web_app = typer.Typer(help="The web channel.", no_args_is_help=True)
key_app = typer.Typer(help="API keys of the websites and apps posting to it.", no_args_is_help=True)
web_app.add_typer(key_app, name="key")
# Open311 clients post with the same keys (as `api_key`): one list, two ways to find it.
open311_app = typer.Typer(
    help="Open311 GeoReport v2 (/open311/v2/): its api_keys are web client keys.",
    no_args_is_help=True,
)
open311_app.add_typer(key_app, name="key")


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _engine() -> Any:
    engine = open_engine()
    upgrade(engine)
    return engine


def _opds_and_engine(config: Path) -> tuple[list[str], Engine]:
    """The OPDs of `config` and its deployment's database (another deployment's: exit 2)."""
    loaded, engine = open_database(config)
    return list(loaded.opds), engine


def _known_opd(opd: str, config: Path) -> Engine:
    """The database, once `opd` is known to `config`'s deployment."""
    known, engine = _opds_and_engine(config)
    if opd not in known:
        raise _fail(f"unknown OPD {opd!r}; known: {', '.join(known)}")
    return engine


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


@token_app.command("create")
def token_create(
    opd: str,
    config: ConfigOption = DEFAULT_CONFIG,
    label: Annotated[str, typer.Option(help="what the token is for")] = "",
) -> None:
    """Issue a status-API token for an OPD (printed once)."""
    typer.echo(create_token(_known_opd(opd, config), opd, label))


@token_app.command("list")
def token_list(
    opd: Annotated[str | None, typer.Argument(help="only this OPD")] = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Every token: id, OPD, label, when issued and revoked (never the token itself)."""
    known, engine = _opds_and_engine(config)
    configured = set(known)
    rows = list_tokens(engine, opd)
    for row in rows:
        state = (
            "revoked"
            if row.revoked_at
            else ("active" if row.opd in configured else "inactive (OPD not configured)")
        )
        typer.echo(
            f"{row.id:>5}  {row.opd:<12} {state:<30} created={_when(row.created_at)} "
            f"revoked={_when(row.revoked_at)}  {row.label}"
        )
    if not rows:
        typer.echo("no tokens")


@token_app.command("revoke")
def token_revoke(
    target: Annotated[str, typer.Argument(help="a token id (see list), or an OPD: all its tokens")],
    actor: ActorOption = "",
) -> None:
    """Revoke a token, or every token of an OPD; it stops working at once."""
    try:
        rows = revoke_tokens(_engine(), target, f"cli:{actor or getpass.getuser()}")
    except TokenError as exc:
        raise _fail(str(exc)) from None
    for row in rows:
        typer.echo(f"revoked token {row.id} of {row.opd}")


@token_app.command("rotate")
def token_rotate(
    opd: str,
    config: ConfigOption = DEFAULT_CONFIG,
    token_id: Annotated[
        int | None, typer.Option("--id", help="revoke only this token (default: all of the OPD)")
    ] = None,
    label: Annotated[str, typer.Option(help="what the new token is for")] = "",
    actor: ActorOption = "",
) -> None:
    """Issue a new token for an OPD and revoke its old ones (printed once)."""
    engine = _known_opd(opd, config)
    try:
        token, revoked = rotate_token(
            engine, opd, f"cli:{actor or getpass.getuser()}", token_id, label
        )
    except TokenError as exc:
        raise _fail(str(exc)) from None
    for row in revoked:
        typer.echo(f"revoked token {row.id} of {row.opd}", err=True)
    typer.echo(token)


@key_app.command("create")
def key_create(
    client: Annotated[str, typer.Argument(help="the client's name, e.g. portal-kota")],
    label: Annotated[str, typer.Option(help="what the key is for")] = "",
    actor: ActorOption = "",
) -> None:
    """Issue an API key for a website or app (printed once)."""
    try:
        typer.echo(create_key(_engine(), client, label, f"cli:{actor or getpass.getuser()}"))
    except WebClientError as exc:
        raise _fail(str(exc)) from None


@key_app.command("list")
def key_list() -> None:
    """Every key: id, client, label, when issued and revoked (never the key itself)."""
    rows = list_keys(_engine())
    for row in rows:
        state = "revoked" if row.revoked_at else "active"
        typer.echo(
            f"{row.id:>5}  {row.client:<32} {state:<8} created={_when(row.created_at)} "
            f"revoked={_when(row.revoked_at)}  {row.label}"
        )
    if not rows:
        typer.echo("no keys")


@key_app.command("revoke")
def key_revoke(
    target: Annotated[str, typer.Argument(help="a key id (see list), or a client: all its keys")],
    actor: ActorOption = "",
) -> None:
    """Revoke a key, or every key of a client; it stops working at once."""
    try:
        rows = revoke_keys(_engine(), target, f"cli:{actor or getpass.getuser()}")
    except WebClientError as exc:
        raise _fail(str(exc)) from None
    for row in rows:
        typer.echo(f"revoked key {row.id} of {row.client}")


def register(app: typer.Typer, opd_app: typer.Typer) -> None:
    """Add `opd token …` to the `opd` group, `web key …` and `open311 key …` to the main app."""
    opd_app.add_typer(token_app, name="token")
    app.add_typer(web_app, name="web")
    app.add_typer(open311_app, name="open311")
