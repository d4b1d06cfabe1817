"""Staff and OPD management (admins): add or disable console accounts, give a one-time
password, rotate an OPD's status-API token. Each change is audited by the functions that
`aduan staff` and `aduan opd token` use; a secret is shown once, never stored in the clear."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
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
from aduan.api.deps import RuntimeDep, SessionDep
from aduan.runtime import Runtime
from aduan.web.console.auth import StaffDep, refuse_unless_admin
from aduan.web.csrf import verify_csrf
from aduan.web.templating import render
from storage.accounts import audit
from storage.models import Staff

router = APIRouter(prefix="/console/staff", include_in_schema=False)
CSRF = [Depends(verify_csrf)]
PAGE = "staff and OPD management"
Field = Annotated[str, Form(max_length=255)]
NO_STORE = {"Cache-Control": "no-store"}


def _page(
    request: Request,
    session: Session,
    runtime: Runtime,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    secret: dict[str, str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    tokens: dict[str, int] = {}
    for token in list_tokens(session):
        if token.revoked_at is None:
            tokens[token.opd] = tokens.get(token.opd, 0) + 1
    opds = [(code, name) for code, name in sorted(runtime.ctx.opd_names.items())]
    context: dict[str, Any] = {
        "accounts": list_accounts(session),
        "opds": opds,
        "tokens": tokens,
        "error": error,
        "values": {"role": "staff", **(values or {})},
        "secret": secret,
        "done": done,
    }
    headers = NO_STORE if secret else None
    return render(request, "console/staff.html", context, status_code, headers)


@router.get("")
def staff_page(
    request: Request, session: SessionDep, runtime: RuntimeDep, staff: StaffDep
) -> Response:
    refused = refuse_unless_admin(request, session, staff, PAGE)
    return refused or _page(request, session, runtime)


@router.post("", dependencies=CSRF)
def add_staff(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    staff: StaffDep,
    login: Annotated[str, Form(max_length=64)] = "",
    name: Field = "",
    role: Annotated[str, Form(max_length=16)] = "staff",
    opd: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    refused = refuse_unless_admin(request, session, staff, PAGE)
    if refused:
        return refused
    values = {"login": login, "name": name, "role": role, "opd": opd}
    try:
        if opd and opd not in runtime.ctx.opd_names:
            raise AccountError(f"unknown OPD {opd!r}")
        password = add_account(session, login, name, role, opd or None, actor_of(staff))
    except AccountError as exc:
        return _page(request, session, runtime, error=str(exc), values=values, status_code=400)
    assert password is not None
    secret = {"kind": "password", "who": login.strip().lower(), "value": password}
    return _page(request, session, runtime, secret=secret)


def _not_yourself(staff: Staff, login: str) -> None:
    if staff.login == login.strip().lower():
        raise AccountError("you cannot do this to your own account here")


@router.post("/{login}/disable", dependencies=CSRF)
def disable_staff(
    request: Request, login: str, session: SessionDep, runtime: RuntimeDep, staff: StaffDep
) -> Response:
    refused = refuse_unless_admin(request, session, staff, PAGE)
    if refused:
        return refused
    try:
        _not_yourself(staff, login)
        disable_account(session, login, actor_of(staff))
    except AccountError as exc:
        return _page(request, session, runtime, error=str(exc), status_code=400)
    return _page(request, session, runtime, done=login)


@router.post("/{login}/password", dependencies=CSRF)
def reset_password(
    request: Request, login: str, session: SessionDep, runtime: RuntimeDep, staff: StaffDep
) -> Response:
    """A one-time password for someone who forgot theirs; their sessions end."""
    refused = refuse_unless_admin(request, session, staff, PAGE)
    if refused:
        return refused
    try:
        _not_yourself(staff, login)
        password = set_password(session, login, actor_of(staff))
    except AccountError as exc:
        return _page(request, session, runtime, error=str(exc), status_code=400)
    assert password is not None
    secret = {"kind": "password", "who": login, "value": password}
    return _page(request, session, runtime, secret=secret)


@router.post("/opds/{opd}/token", dependencies=CSRF)
def rotate_opd_token(
    request: Request, opd: str, session: SessionDep, runtime: RuntimeDep, staff: StaffDep
) -> Response:
    """A new status-API token for the OPD; its earlier tokens stop working at once."""
    refused = refuse_unless_admin(request, session, staff, PAGE)
    if refused:
        return refused
    if opd not in runtime.ctx.opd_names or opd == "TRIAGE":
        return _page(request, session, runtime, error=f"unknown OPD {opd!r}", status_code=400)
    try:
        token, revoked = rotate_token(session, opd, actor_of(staff), label="console")
    except TokenError as exc:
        return _page(request, session, runtime, error=str(exc), status_code=400)
    audit(
        session,
        "opd_token_rotated",
        actor_of(staff),
        f"status-API token of {opd} issued in the console; {len(revoked)} revoked",
    )
    session.flush()
    return _page(request, session, runtime, secret={"kind": "token", "who": opd, "value": token})
