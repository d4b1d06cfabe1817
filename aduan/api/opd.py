"""The status API for OPD systems: each OPD, with its own bearer token, acts on its complaints."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session

from aduan.access.opd_tokens import opd_for_token
from aduan.api.deps import RuntimeDep, SessionDep, error
from aduan.api.views import complaint_for_opd
from aduan.complaints.codes import find_code
from channels.fetching import check_link
from dispatch.actions import change_status, message_citizen, reassign
from storage.complaints import complaint_by_code, latest_complaints
from storage.models import Complaint, Event

router = APIRouter(prefix="/api/v1/opd", tags=["OPD status API"])


def current_opd(
    session: SessionDep,
    runtime: RuntimeDep,
    authorization: Annotated[str | None, Header()] = None,
) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise error(401, "missing bearer token")
    token = authorization.split(None, 1)[1].strip()
    opd = opd_for_token(session, token, runtime.ctx.opd_names)
    if opd is None:
        raise error(401, "invalid or revoked token")
    return opd


OpdDep = Annotated[str, Depends(current_opd)]


def own_complaint(session: Session, code: str, opd: str) -> Complaint:
    """This OPD's complaint; another OPD's answers the same 404 as an unknown code."""
    canonical = find_code(code)
    complaint = complaint_by_code(session, canonical) if canonical else None
    not_found = error(404, f"no complaint with code {code}")
    if complaint is None:
        raise not_found
    if complaint.opd != opd:
        session.add(
            Event(
                complaint_id=complaint.id,
                kind="refused",
                actor=f"opd:{opd}",
                note=f"OPD {opd} tried to act on a complaint of {complaint.opd}",
            )
        )
        session.commit()
        raise not_found
    return complaint


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["in_progress", "resolved", "rejected"]
    note: str | None = Field(default=None, max_length=2000)
    photos: list[Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=list,
        max_length=5,
        description="http(s) links to photos of the work (shown on the citizen's tracking page)",
    )

    @field_validator("photos")
    @classmethod
    def _links(cls, value: list[str]) -> list[str]:
        return [check_link(url) for url in value]


class CitizenMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=2000)
    question: bool = Field(default=False, description="the citizen's next message is the answer")


class Reassignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opd: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000)


@router.get("/complaints", summary="This OPD's complaints")
def list_complaints(
    session: SessionDep,
    opd: OpdDep,
    runtime: RuntimeDep,
    status: str | None = None,
    limit: int = 50,
) -> list[dict]:
    rows = latest_complaints(session, min(max(limit, 1), 500), status=status, opd=opd)
    return [complaint_for_opd(session, c, runtime.ctx) for c in rows]


@router.get("/complaints/{code}", summary="One complaint with its history")
def show(code: str, session: SessionDep, opd: OpdDep, runtime: RuntimeDep) -> dict:
    return complaint_for_opd(session, own_complaint(session, code, opd), runtime.ctx)


@router.post("/complaints/{code}/status", summary="Mark in progress, resolved or rejected")
def set_status(
    code: str, change: StatusChange, session: SessionDep, opd: OpdDep, runtime: RuntimeDep
) -> dict:
    complaint = own_complaint(session, code, opd)
    photos = [{"url": url, "content_type": "image/*"} for url in change.photos]
    change_status(session, complaint, change.status, f"opd:{opd}", runtime.ctx, change.note, photos)
    return complaint_for_opd(session, complaint, runtime.ctx)


@router.post("/complaints/{code}/messages", summary="Send the citizen a message")
def send_message(
    code: str, body: CitizenMessage, session: SessionDep, opd: OpdDep, runtime: RuntimeDep
) -> dict:
    complaint = own_complaint(session, code, opd)
    message_citizen(session, complaint, body.text, f"opd:{opd}", runtime.ctx, body.question)
    return complaint_for_opd(session, complaint, runtime.ctx)


@router.post("/complaints/{code}/reassign", summary="Hand the complaint to another OPD")
def reassign_complaint(
    code: str, body: Reassignment, session: SessionDep, opd: OpdDep, runtime: RuntimeDep
) -> dict:
    complaint = own_complaint(session, code, opd)
    reassign(session, complaint, body.opd.upper(), f"opd:{opd}", runtime.ctx, body.reason)
    return complaint_for_opd(session, complaint, runtime.ctx)
