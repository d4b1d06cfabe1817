"""The tracking page, `/lacak/{code}`: what a citizen sees of their report.

With the private link (code and tracking secret) the citizen sees the public timeline — which
OPD handled it, what staff wrote for them, resolution photos; never who acted or an internal
note — and may rate the result or say it is not fixed. A bare code (or a wrong secret) shows
only the status and category.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from aduan.api.deps import RuntimeDep, SessionDep
from aduan.complaints.tracking_link import confirm_contact, tracking_path
from aduan.runtime import Runtime
from aduan.web.csrf import verify_csrf
from aduan.web.i18n import page_language, translate
from aduan.web.public.citizen import act_as_citizen, canonical_code, complaint_or_404, holds_secret
from aduan.web.templating import render
from storage.engine import reading
from storage.models import Complaint, Status
from storage.tracking import TimelineStep, public_timeline

router = APIRouter(include_in_schema=False)
Secret = Annotated[str, Form(max_length=200)]
OWN_PHOTOS = "/foto/"


def tracking_link(request: Request, code: str, secret: str) -> str:
    """The private link to a report's tracking page (absolute: it is given to the citizen)."""
    return f"{str(request.base_url).rstrip('/')}{tracking_path(code, secret)}"


def _photo(attachment: dict[str, Any]) -> dict[str, str] | None:
    """A photo to show: ours (uploaded here) inline, another site's as a link."""
    url = str(attachment.get("url", ""))
    parts = urlsplit(url)
    if parts.path.startswith(OWN_PHOTOS) and parts.scheme in ("http", "https", ""):
        return {"src": parts.path, "href": parts.path}
    if parts.scheme in ("http", "https"):
        return {"src": "", "href": url}
    return None  # another channel's reference (a Telegram file id): not a link


def _steps(steps: list[TimelineStep]) -> list[dict[str, Any]]:
    return [{"step": step, "photos": [p for p in map(_photo, step.photos) if p]} for step in steps]


def _page(
    request: Request,
    session: Session,
    complaint: Complaint,
    secret: str | None,
    notice: str | None = None,
) -> Response:
    full = holds_secret(complaint, secret)
    context: dict[str, Any] = {
        "c": complaint,
        "full": full,
        "secret": secret if full else "",
        "wrong_secret": bool(secret) and not full,
        "notice": notice,
    }
    if full:
        assert complaint.id is not None
        context["timeline"] = _steps(public_timeline(session, complaint.id, complaint.opd))
        context["photos"] = [p for p in map(_photo, complaint.attachments) if p]
        context["may_rate"] = complaint.status == Status.resolved
        context["may_reopen"] = complaint.status in (Status.resolved, Status.rejected)
    return render(request, "public/tracking.html", context, headers={"Cache-Control": "no-store"})


@router.get("/lacak")
def find_report(
    request: Request, code: Annotated[str | None, Query(max_length=40)] = None
) -> Response:
    """The form to look a code up; with `?code=` it goes to that report's page."""
    if code:
        return RedirectResponse(f"/lacak/{canonical_code(code)}", status_code=303)
    return render(request, "public/find.html")


@router.get("/lacak/{code}")
def tracking_page(
    code: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    secret: Annotated[str | None, Query(max_length=200)] = None,
    konfirmasi: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The report's page; opened from the message sent to the citizen's contact (`konfirmasi`),
    it confirms that contact."""
    complaint, notice = complaint_or_404(session, code), None
    if konfirmasi and holds_secret(complaint, secret):
        assert complaint.id is not None
        if confirm_contact(runtime, complaint.id, konfirmasi):
            language = page_language(request, runtime.config.instance.default_language)
            notice = translate(language, "contact_confirmed")
    return _page(request, session, complaint, secret, notice)


async def _after(
    request: Request, runtime: Runtime, code: str, secret: str, command: str, done: str
) -> Response:
    """Run the citizen's command, then show the page again with its answer."""
    outcome = await act_as_citizen(runtime, code, secret, command)
    language = page_language(request, runtime.config.instance.default_language)
    notice = outcome.reply or translate(language, done)

    def page() -> Response:
        with reading(runtime.engine) as session:
            return _page(request, session, complaint_or_404(session, code), secret, notice)

    return await run_in_threadpool(page)


# The actions hold no session of their own: the pipeline writes in its own transaction.
@router.post("/lacak/{code}/nilai", dependencies=[Depends(verify_csrf)])
async def rate_report(
    code: str,
    request: Request,
    runtime: RuntimeDep,
    secret: Secret,
    stars: Annotated[int, Form(ge=1, le=5)],
) -> Response:
    """The citizen's rating, as the chat command `/nilai ADU-… N`."""
    code = canonical_code(code)
    return await _after(request, runtime, code, secret, f"/nilai {code} {stars}", "rated_notice")


@router.post("/lacak/{code}/belum-beres", dependencies=[Depends(verify_csrf)])
async def reopen_report(
    code: str, request: Request, runtime: RuntimeDep, secret: Secret
) -> Response:
    """ "Belum beres": the citizen says it is not fixed, as the chat command `/belumberes`."""
    code = canonical_code(code)
    return await _after(request, runtime, code, secret, f"/belumberes {code}", "reopened_notice")


@router.post("/lacak/{code}/kategori", dependencies=[Depends(verify_csrf)])
async def choose_category(
    code: str,
    request: Request,
    runtime: RuntimeDep,
    secret: Secret,
    category: Annotated[str, Form(pattern=r"^[a-z0-9_]{1,64}$")],
) -> Response:
    """The citizen picks the category the classifier was unsure of, as `/kategori ADU-… cat`."""
    code = canonical_code(code)
    command = f"/kategori {code} {category}"
    return await _after(request, runtime, code, secret, command, "category_chosen")
