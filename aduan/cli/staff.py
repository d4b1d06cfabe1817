"""CLI for console accounts: `aduan staff add|passwd|disable|list`.

The first admin of a fresh install is made here: `aduan staff add admin --role admin --name
...` prints a one-time password (replaced at the first sign-in), or reads the password from
standard input with `--password-stdin`.
"""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from sqlalchemy import Engine

from aduan.access.accounts import AccountError, add_account, disable_account, list_accounts
from aduan.access.accounts import set_password as set_account_password
from aduan.cli.options import DEFAULT_CONFIG, ConfigOption, open_database, open_engine
from storage.migrate import upgrade

ActorOption = Annotated[
    str, typer.Option("--actor", help="who acts, for the audit trail (default: your login)")
]
StdinOption = Annotated[
    bool,
    typer.Option("--password-stdin", help="read the password from standard input (one line)"),
]

staff_app = typer.Typer(help="Console accounts of staff and admins.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _engine() -> Engine:
    engine = open_engine()
    upgrade(engine)
    return engine


def _password(from_stdin: bool) -> str | None:
    return sys.stdin.readline().rstrip("\r\n") if from_stdin else None


def _actor(actor: str) -> str:
    return f"cli:{actor or getpass.getuser()}"


def _show_once(login: str, password: str | None) -> None:
    if password is not None:
        typer.echo(f"one-time password for {login} (to be changed at the first sign-in):", err=True)
        typer.echo(password)


@staff_app.command("add")
def staff_add(
    login: Annotated[str, typer.Argument(help="the sign-in name, e.g. budi.dpupr")],
    name: Annotated[str, typer.Option(help="the person's name, shown in the timeline")],
    role: Annotated[str, typer.Option(help="staff (one OPD) or admin (all)")] = "staff",
    opd: Annotated[str | None, typer.Option(help="the OPD of a staff account")] = None,
    password_stdin: StdinOption = False,
    config: ConfigOption = DEFAULT_CONFIG,
    actor: ActorOption = "",
) -> None:
    """Add a console account; prints a one-time password unless --password-stdin."""
    loaded, engine = open_database(config)
    known = loaded.opds
    if opd is not None and (opd not in known or opd == "TRIAGE"):
        raise _fail(f"unknown OPD {opd!r}; known: {', '.join(k for k in known if k != 'TRIAGE')}")
    try:
        shown = add_account(
            engine, login, name, role, opd, _actor(actor), _password(password_stdin)
        )
    except AccountError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"added {role} account {login.strip().lower()}", err=True)
    _show_once(login.strip().lower(), shown)


@staff_app.command("passwd")
def staff_passwd(login: str, password_stdin: StdinOption = False, actor: ActorOption = "") -> None:
    """Set a new password (a printed one-time password unless --password-stdin)."""
    try:
        shown = set_account_password(_engine(), login, _actor(actor), _password(password_stdin))
    except AccountError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"password of {login} set; its sessions ended", err=True)
    _show_once(login, shown)


@staff_app.command("disable")
def staff_disable(login: str, actor: ActorOption = "") -> None:
    """Stop an account from signing in; its open sessions end at once."""
    try:
        disable_account(_engine(), login, _actor(actor))
    except AccountError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"account {login} disabled")


@staff_app.command("list")
def staff_list() -> None:
    """Every console account: login, role, OPD, state, origin (never a password)."""
    rows = list_accounts(_engine())
    for row in rows:
        state = "active" if row.active else "disabled"
        if row.active and not row.password_hash:
            state = "no password"
        typer.echo(
            f"{row.login:<24} {row.role:<6} {row.opd or '-':<10} {state:<12} "
            f"{row.origin:<8} {row.name}"
        )
    if not rows:
        typer.echo("no accounts")


def register(app: typer.Typer) -> None:
    app.add_typer(staff_app, name="staff")
