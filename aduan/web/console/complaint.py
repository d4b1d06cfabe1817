"""One complaint's page: text, photos, map, contact (masked), linked reports, the whole
timeline, and the staff actions, carried out by the same domain actions as the chat commands
so that the citizen hears back on their own channel."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlmodel import Session

from aduan.access.accounts import actor_of
from aduan.api.deps import RuntimeDep, SessionDep
from aduan.api.media import open_stored, stream
from aduan.complaints.codes import find_code
from aduan.runtime import Runtime
from aduan.web.console.auth import StaffDep
from aduan.web.csrf import verify_csrf
from aduan.web.pages import error_page
from aduan.web.templating import render
from channels.fetching import MediaRefused, fetch
from channels.masking import mask_address
from dispatch.actions import ActionError, change_status, message_citizen, reassign
from dispatch.lifecycle import TransitionError
from storage.accounts import audit
from storage.complaints import complaint_by_code
from storage.console import (
    complaint_contact,
    complaint_events,
    complaint_messages,
    linked_complaints,
)
from storage.models import OPEN_STATUSES, Complaint, Staff, Status

router = APIRouter(prefix="/console/complaints", include_in_schema=False)
Text = Annotated[str, Form(max_length=2000)]
DONE = ("in_progress", "resolved", "rejected", "reassigned", "message", "question")


def may_act(staff: Staff, complaint: Complaint) -> bool:
    """Admins on every complaint, staff on their OPD's (as in the chat commands)."""
    return staff.role == "admin" or (staff.opd is not None and staff.opd == complaint.opd)


def find_complaint(session: Session, code: str) -> Complaint:
    canonical = find_code(code)
    complaint = complaint_by_code(session, canonical) if canonical else None
    if complaint is None:
        raise HTTPException(404, f"no complaint with code {code}")
    return complaint


def _refusal(request: Request, session: Session, staff: Staff, complaint: Complaint) -> Response:
    audit(
        session,
        "refused",
        actor_of(staff),
        f"refused: staff of {staff.opd} may not open {complaint.opd}'s complaint in the console",
        complaint.id,
    )
    return error_page(request, 403)


def actor_name(actor: str) -> str:
    """`staff:Budi <console:budi>` -> `Budi`; other actors (citizen, opd:X, system) as they are."""
    if actor.startswith("staff:"):
        return actor[len("staff:") :].split(" <", 1)[0]
    return actor


def _timeline(session: Session, complaint: Complaint) -> list[dict[str, Any]]:
    assert complaint.id is not None
    items: list[dict[str, Any]] = [
        {"at": e.created_at, "kind": "event", "event": e, "who": actor_name(e.actor)}
        for e in complaint_events(session, complaint.id)
    ]
    items += [
        {"at": m.created_at, "kind": "message", "message": m}
        for m in complaint_messages(session, complaint.id)
    ]
    return sorted(items, key=lambda item: item["at"])


def _page(
    request: Request,
    session: Session,
    runtime: Runtime,
    complaint: Complaint,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    contact = complaint_contact(session, complaint)
    photos = [
        index
        for index, item in enumerate(complaint.attachments or [])
        if str(item.get("content_type", "")).startswith("image/")
    ]
    done = request.query_params.get("done")
    context = {
        "c": complaint,
        "contact": mask_address(contact.address) if contact else "-",
        "photos": photos,
        "linked": linked_complaints(session, complaint),
        "timeline": _timeline(session, complaint),
        "is_open": complaint.status in {s.value for s in OPEN_STATUSES},
        "opds": [(code, name) for code, name in runtime.ctx.opd_names.items() if code != "TRIAGE"],
        "maps": runtime.config.maps,
        "error": error,
        "done": done if done in DONE else None,
    }
    return render(request, "console/complaint.html", context, status_code=status_code)


@router.get("/{code}")
def complaint_page(
    request: Request, code: str, session: SessionDep, runtime: RuntimeDep, staff: StaffDep
) -> Response:
    complaint = find_complaint(session, code)
    if not may_act(staff, complaint):
        return _refusal(request, session, staff, complaint)
    return _page(request, session, runtime, complaint)


def _stored_file(url: str, runtime: Runtime) -> Path | None:
    """A file:// attachment inside an email channel's attachments folder (nowhere else)."""
    path = Path(unquote(urlsplit(url).path)).resolve()
    for name, section in runtime.config.channels.items():
        if name.startswith("email"):
            root = Path(section.get("attachments_dir", "data/email-attachments")).resolve()
            if path.is_relative_to(root) and path.is_file():
                return path
    return None


@router.get("/{code}/photos/{index}")
async def photo(
    request: Request,
    code: str,
    index: int,
    session: SessionDep,
    runtime: RuntimeDep,
    staff: StaffDep,
) -> Response:
    """A photo of the complaint, for signed-in staff who may see it (never a public link)."""
    complaint = find_complaint(session, code)
    if not may_act(staff, complaint):
        return _refusal(request, session, staff, complaint)
    items = complaint.attachments or []
    if not 0 <= index < len(items):
        raise HTTPException(404, "no such photo")
    url = str(items[index].get("url", ""))
    kind = str(items[index].get("content_type", ""))
    private = {"Cache-Control": "private, max-age=3600"}
    stored = items[index].get("stored")
    if stored:  # fetched from its channel and kept by Aduan
        if not kind.startswith("image/"):
            raise HTTPException(404, "photo not available")
        kept = await asyncio.to_thread(open_stored, runtime.ctx.media_store, str(stored))
        return stream(kept, kind, private)  # a bucket is read off the event loop
    if url.startswith("file:"):
        path = _stored_file(url, runtime)
        if path is None or not kind.startswith("image/"):
            raise HTTPException(404, "photo not available")
        return FileResponse(path, media_type=kind, headers=private)
    if url.startswith(("http://", "https://")):
        try:
            answer = await fetch(url, runtime.config.console.media)
        except (MediaRefused, OSError):
            raise HTTPException(404, "photo not available") from None
        served = answer.headers.get("content-type", kind).split(";")[0]
        if answer.status_code != 200 or not served.startswith("image/"):
            raise HTTPException(404, "photo not available")
        return Response(answer.content, media_type=served, headers=private)
    raise HTTPException(404, "photo not available")


@dataclass(frozen=True)
class Acting:
    """One staff action on one complaint from the console: who, on what, and where."""

    request: Request
    session: Session
    runtime: Runtime
    staff: Staff
    code: str

    def run(self, done: str, action: Callable[[Complaint, str], None]) -> Response:
        """Run `action(complaint, actor)` for the staff member; back to its page, or its error."""
        complaint = find_complaint(self.session, self.code)
        if not may_act(self.staff, complaint):
            return _refusal(self.request, self.session, self.staff, complaint)
        try:
            action(complaint, actor_of(self.staff))
        except TransitionError as exc:
            return _page(self.request, self.session, self.runtime, complaint, str(exc), 409)
        except ActionError as exc:
            return _page(self.request, self.session, self.runtime, complaint, str(exc), 400)
        # Committed before the browser follows the redirect (a dependency's own commit may come
        # only after the response has been sent).
        self.session.commit()
        return RedirectResponse(
            f"/console/complaints/{complaint.code}?done={done}", status_code=303
        )


def _acting(
    request: Request, code: str, session: SessionDep, runtime: RuntimeDep, staff: StaffDep
) -> Acting:
    return Acting(request, session, runtime, staff, code)


ActingDep = Annotated[Acting, Depends(_acting)]
CSRF = [Depends(verify_csrf)]


def _required(text: str, missing: str) -> str:
    """`text` stripped; an ActionError saying `missing` when nothing is left."""
    if not text.strip():
        raise ActionError(missing)
    return text.strip()


def _change_status(
    acting: Acting, status: Status, text: str, missing: str | None = None
) -> Response:
    """Move the complaint to `status` with `text` as its note (required if `missing` is set)."""

    def action(complaint: Complaint, actor: str) -> None:
        note = _required(text, missing) if missing else text.strip() or None
        change_status(acting.session, complaint, status, actor, acting.runtime.ctx, note)

    return acting.run(status.value, action)


@router.post("/{code}/progress", dependencies=CSRF)
def in_progress(acting: ActingDep, note: Text = "") -> Response:
    return _change_status(acting, Status.in_progress, note)


@router.post("/{code}/resolve", dependencies=CSRF)
def resolve(acting: ActingDep, note: Text = "") -> Response:
    return _change_status(
        acting, Status.resolved, note, "write what was done (a note for the citizen)"
    )


@router.post("/{code}/reject", dependencies=CSRF)
def reject(acting: ActingDep, reason: Text = "") -> Response:
    return _change_status(acting, Status.rejected, reason, "a rejection needs its reason")


@router.post("/{code}/reassign", dependencies=CSRF)
def reassign_to(
    acting: ActingDep, opd: Annotated[str, Form(max_length=64)] = "", reason: Text = ""
) -> Response:
    def action(complaint: Complaint, actor: str) -> None:
        why = _required(reason, "a reassignment needs its reason")
        reassign(acting.session, complaint, opd.strip().upper(), actor, acting.runtime.ctx, why)

    return acting.run("reassigned", action)


@router.post("/{code}/message", dependencies=CSRF)
def message(
    acting: ActingDep, text: Text = "", question: Annotated[bool, Form()] = False
) -> Response:
    def action(complaint: Complaint, actor: str) -> None:
        ctx = acting.runtime.ctx
        message_citizen(acting.session, complaint, text, actor, ctx, question=question)

    return acting.run("question" if question else "message", action)
