"""Staff and OPD management (admins): add or disable console accounts, give a one-time
password, rotate an OPD's status-API token. Each change is audited by the functions that
`aduan staff` and `aduan opd token` use; a secret is shown once, never stored in the clear."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response
from sqlmodel import Session

from aduan.access.accounts import (
    AccountError,
    actor_of,
    add_account,
    disable_account,
    list_accounts,
    set_password,
)
from aduan.access.opd_tokens import TokenError, list_tokens, rotate_token
from aduan.web.console.auth import Admin, admin_page
from aduan.web.csrf import verify_csrf
from aduan.web.templating import render
from storage.accounts import audit

router = APIRouter(prefix="/console/staff", include_in_schema=False)
CSRF = [Depends(verify_csrf)]
People = Annotated[Admin, Depends(admin_page("staff and OPD management"))]
Done = TypeVar("Done")
Field = Annotated[str, Form(max_length=255)]
NO_STORE = {"Cache-Control": "no-store"}


def _page(
    admin: Admin,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    secret: dict[str, str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    tokens: dict[str, int] = {}
    for token in list_tokens(admin.session):
        if token.revoked_at is None:
            tokens[token.opd] = tokens.get(token.opd, 0) + 1
    opds = [(code, name) for code, name in sorted(admin.runtime.ctx.opd_names.items())]
    context: dict[str, Any] = {
        "accounts": list_accounts(admin.session),
        "opds": opds,
        "tokens": tokens,
        "error": error,
        "values": {"role": "staff", **(values or {})},
        "secret": secret,
        "done": done,
    }
    headers = NO_STORE if secret else None
    return render(admin.request, "console/staff.html", context, status_code, headers)


@router.get("")
def staff_page(admin: People) -> Response:
    return admin.refusal or _page(admin)


@router.post("", dependencies=CSRF)
def add_staff(
    admin: People,
    login: Annotated[str, Form(max_length=64)] = "",
    name: Field = "",
    role: Annotated[str, Form(max_length=16)] = "staff",
    opd: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    if admin.refusal:
        return admin.refusal
    values = {"login": login, "name": name, "role": role, "opd": opd}
    try:
        if opd and opd not in admin.runtime.ctx.opd_names:
            raise AccountError(f"unknown OPD {opd!r}")
        actor = actor_of(admin.staff)
        password = add_account(admin.session, login, name, role, opd or None, actor)
    except AccountError as exc:
        return _page(admin, error=str(exc), values=values, status_code=400)
    assert password is not None
    secret = {"kind": "password", "who": login.strip().lower(), "value": password}
    return _page(admin, secret=secret)


def _on_other_account(
    admin: Admin, login: str, change: Callable[[Session, str, str], Done]
) -> Done | Response:
    """`change(session, login, actor)` on an account not the admin's own; the page with the
    error when it is refused (or the 403 page for a non-admin)."""
    if admin.refusal:
        return admin.refusal
    try:
        if admin.staff.login == login.strip().lower():
            raise AccountError("you cannot do this to your own account here")
        return change(admin.session, login, actor_of(admin.staff))
    except AccountError as exc:
        return _page(admin, error=str(exc), status_code=400)


@router.post("/{login}/disable", dependencies=CSRF)
def disable_staff(login: str, admin: People) -> Response:
    refused = _on_other_account(admin, login, disable_account)
    return refused if isinstance(refused, Response) else _page(admin, done=login)


@router.post("/{login}/password", dependencies=CSRF)
def reset_password(login: str, admin: People) -> Response:
    """A one-time password for someone who forgot theirs; their sessions end."""
    password = _on_other_account(admin, login, set_password)
    if isinstance(password, Response):
        return password
    assert password is not None
    return _page(admin, secret={"kind": "password", "who": login, "value": password})


@router.post("/opds/{opd}/token", dependencies=CSRF)
def rotate_opd_token(opd: str, admin: People) -> Response:
    """A new status-API token for the OPD; its earlier tokens stop working at once."""
    if admin.refusal:
        return admin.refusal
    if opd not in admin.runtime.ctx.opd_names or opd == "TRIAGE":
        return _page(admin, error=f"unknown OPD {opd!r}", status_code=400)
    actor = actor_of(admin.staff)
    try:
        token, revoked = rotate_token(admin.session, opd, actor, label="console")
    except TokenError as exc:
        return _page(admin, error=str(exc), status_code=400)
    audit(
        admin.session,
        "opd_token_rotated",
        actor,
        f"status-API token of {opd} issued in the console; {len(revoked)} revoked",
    )
    admin.session.flush()
    return _page(admin, secret={"kind": "token", "who": opd, "value": token})
