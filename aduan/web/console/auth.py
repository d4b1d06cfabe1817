"""Signing in and out of the console, and who is signed in on every other console page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from aduan.access.accounts import (
    MIN_PASSWORD,
    AccountError,
    actor_of,
    change_own_password,
    session_staff,
    sign_in,
    sign_out,
)
from aduan.api.deps import RuntimeDep, SessionDep
from aduan.runtime import Runtime
from aduan.web.csrf import is_https, verify_csrf
from aduan.web.pages import error_page, local_path
from aduan.web.templating import render
from storage.accounts import audit
from storage.models import Staff

SESSION_COOKIE = "aduan_session"
SIGNIN = "/console/signin"
PASSWORD = "/console/password"

router = APIRouter(prefix="/console", include_in_schema=False)


class ConsoleRedirect(Exception):
    """The page cannot be shown yet: the visitor must sign in (then come back), or first
    replace a one-time password."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def console_redirect(request: Request, exc: ConsoleRedirect) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": exc.location})
    return RedirectResponse(exc.location, status_code=303)


def current_staff(request: Request, session: SessionDep, runtime: RuntimeDep) -> Staff:
    """The signed-in staff member (also `request.state.staff`, for the templates)."""
    staff = session_staff(session, request.cookies.get(SESSION_COOKIE), runtime.config.console)
    if staff is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        back = f"?next={quote(target, safe='/')}" if request.method == "GET" else ""
        raise ConsoleRedirect(SIGNIN + back)
    # Detached, so that an error page rendered after the request's rollback can still name them.
    session.expunge(staff)
    request.state.staff = staff
    if staff.password_temporary and request.url.path not in (PASSWORD, "/console/signout"):
        raise ConsoleRedirect(PASSWORD)
    return staff


StaffDep = Annotated[Staff, Depends(current_staff)]


def refuse_unless_admin(
    request: Request, session: Session, staff: Staff, page: str
) -> Response | None:
    """None for an admin; for anyone else a 403 page, and the attempt audited."""
    if staff.role == "admin":
        return None
    audit(session, "refused", actor_of(staff), f"refused: {page} is for admins")
    return error_page(request, 403)


@dataclass(frozen=True)
class Admin:
    """A request to an admin page: who asks, in which unit of work; `refusal` is the 403 page
    (the attempt audited) when the one asking is no admin, None for an admin."""

    request: Request
    session: Session
    runtime: Runtime
    staff: Staff
    refusal: Response | None


def admin_page(page: str) -> Callable[..., Admin]:
    """The dependency of the admin pages called `page` (in the audit of a refusal)."""

    def admin(request: Request, session: SessionDep, runtime: RuntimeDep, staff: StaffDep) -> Admin:
        refusal = refuse_unless_admin(request, session, staff, page)
        return Admin(request, session, runtime, staff, refusal)

    return admin


@router.get("/signin")
def signin_page(request: Request, next: str | None = None) -> Response:
    return render(request, "signin.html", {"next": local_path(next), "error": None, "login": ""})


@router.post("/signin", dependencies=[Depends(verify_csrf)])
def signin(
    request: Request,
    runtime: RuntimeDep,
    login: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/console",
) -> Response:
    where = f"from {request.client.host}" if request.client else ""
    result = sign_in(runtime.engine, login, password, runtime.config.console, where)
    if result.outcome != "ok" or result.token is None or result.staff is None:
        key = "signin_locked" if result.outcome == "locked" else "signin_wrong"
        status = 429 if result.outcome == "locked" else 401
        context = {
            "next": local_path(next),
            "error": key,
            "minutes": runtime.config.console.lockout_minutes,
            "login": login[:64],
        }
        return render(request, "signin.html", context, status_code=status)
    target = PASSWORD if result.staff.password_temporary else local_path(next)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        httponly=True,
        samesite="lax",
        secure=is_https(request.scope),
        path="/",
    )
    return response


@router.post("/signout", dependencies=[Depends(verify_csrf)])
def signout(request: Request, session: SessionDep, staff: StaffDep) -> Response:
    sign_out(session, request.cookies.get(SESSION_COOKIE, ""), staff)
    session.commit()  # before the browser follows the redirect
    response = RedirectResponse(SIGNIN, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/password")
def password_page(request: Request, staff: StaffDep) -> Response:
    return render(request, "password.html", {"error": None, "minimum": MIN_PASSWORD})


@router.post("/password", dependencies=[Depends(verify_csrf)])
def change_password(
    request: Request,
    session: SessionDep,
    staff: StaffDep,
    current: Annotated[str, Form(max_length=1024)] = "",
    new: Annotated[str, Form(max_length=1024)] = "",
    repeat: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    problem = None
    if len(new) < MIN_PASSWORD:
        problem = "password_short"
    elif new != repeat:
        problem = "password_mismatch"
    elif new == current:
        problem = "password_same"
    else:
        try:
            change_own_password(session, staff, current, new)
        except AccountError:
            problem = "password_wrong"
    if problem:
        context = {"error": problem, "minimum": MIN_PASSWORD}
        return render(request, "password.html", context, status_code=400)
    session.commit()  # before the browser follows the redirect
    return RedirectResponse("/console", status_code=303)
