"""The admins' triage queue: complaints the classifier could not route, routed by hand to a
category and its OPD (the OPD receives it, the citizen is told) or rejected with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from aduan.access.accounts import actor_of
from aduan.api.deps import RuntimeDep, SessionDep
from aduan.complaints.codes import find_code
from aduan.runtime import Runtime
from aduan.web.console.auth import StaffDep, refuse_unless_admin
from aduan.web.console.complaint import find_complaint
from aduan.web.csrf import verify_csrf
from aduan.web.templating import render
from dispatch.actions import ActionError, assign_category, change_status
from dispatch.lifecycle import TransitionError
from storage.complaints import awaiting_review
from storage.models import Staff, Status

router = APIRouter(prefix="/console/triage", include_in_schema=False)
QUEUE_SIZE = 50


def _admins_only(request: Request, session: Session, staff: Staff) -> Response | None:
    return refuse_unless_admin(request, session, staff, "the triage queue")


def _queue(
    request: Request,
    session: Session,
    runtime: Runtime,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    rules = runtime.rules().ruleset
    context = {
        "waiting": awaiting_review(session, limit=QUEUE_SIZE),
        "categories": [(code, rule.opd) for code, rule in sorted(rules.categories.items())],
        "opds": [(code, name) for code, name in runtime.ctx.opd_names.items() if code != "TRIAGE"],
        "error": error,
        "done": find_code(request.query_params.get("done") or ""),
    }
    return render(request, "console/triage.html", context, status_code=status_code)


@router.get("")
def triage_queue(
    request: Request, session: SessionDep, runtime: RuntimeDep, staff: StaffDep
) -> Response:
    return _admins_only(request, session, staff) or _queue(request, session, runtime)


@router.post("/{code}/route", dependencies=[Depends(verify_csrf)])
def route(
    request: Request,
    code: str,
    session: SessionDep,
    runtime: RuntimeDep,
    staff: StaffDep,
    category: Annotated[str, Form(max_length=64)] = "",
    opd: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Route to `category`, handled by `opd` (the category's own OPD when left empty)."""
    refused = _admins_only(request, session, staff)
    if refused:
        return refused
    complaint = find_complaint(session, code)
    rule = runtime.rules().ruleset.categories.get(category)
    target = opd.strip().upper() or (rule.opd if rule else "")
    try:
        if rule is None:
            raise ActionError(f"unknown category {category!r}")
        if target not in runtime.ctx.opd_names or target == "TRIAGE":
            raise ActionError(f"unknown OPD {target!r}")
        assign_category(session, complaint, category, target, actor_of(staff), runtime.ctx)
    except (ActionError, TransitionError) as exc:
        return _queue(request, session, runtime, f"{complaint.code}: {exc}", 400)
    session.commit()  # before the browser follows the redirect
    return RedirectResponse(f"/console/triage?done={complaint.code}", status_code=303)


@router.post("/{code}/reject", dependencies=[Depends(verify_csrf)])
def reject(
    request: Request,
    code: str,
    session: SessionDep,
    runtime: RuntimeDep,
    staff: StaffDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    refused = _admins_only(request, session, staff)
    if refused:
        return refused
    complaint = find_complaint(session, code)
    try:
        if complaint.status != Status.needs_review:
            raise TransitionError(f"{complaint.code} is {complaint.status}, not waiting for review")
        if not reason.strip():
            raise ActionError("a rejection needs its reason")
        change_status(
            session, complaint, Status.rejected, actor_of(staff), runtime.ctx, reason.strip()
        )
    except (ActionError, TransitionError) as exc:
        return _queue(request, session, runtime, f"{complaint.code}: {exc}", 400)
    session.commit()
    return RedirectResponse(f"/console/triage?done={complaint.code}", status_code=303)
