"""The `web` channel's routes: a city website or app submits complaints and looks them up."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from aduan.access.web_access import (
    AccessDenied,
    authenticate,
    complaint_status,
    may_see_all,
    presented_key,
    presented_secret,
)
from aduan.api import openapi_bodies
from aduan.api.deps import RuntimeDep, SessionDep, error
from aduan.api.views import complaint_public
from aduan.complaints.codes import find_code, is_code
from aduan.complaints.outcome import Outcome
from aduan.runtime import Runtime
from channels.contract import InvalidRequest, RawRequest, TooLarge, Unauthenticated
from channels.message import InboundMessage
from channels.web import WebAdapter
from storage.complaints import complaint_by_code

router = APIRouter(prefix="/api/v1/web", tags=["web channel"])


@router.post(
    "/messages",
    summary="Submit a citizen's message (JSON or form)",
    openapi_extra=openapi_bodies.web_submission(),
)
async def submit(request: Request, runtime: RuntimeDep) -> JSONResponse:
    adapter = request.app.state.adapters.get("web")
    if adapter is None:
        raise error(404, "the web channel is disabled")
    inbound = await _parse(request, runtime, adapter)
    # Answered once the complaint is committed, together with the others queued meanwhile.
    # Without a callback the citizen reads the reply in this answer: it is sent with the commit.
    outcome = await runtime.pipeline.submit(inbound, reply_shown=not adapter.config.callback_url)
    return JSONResponse(
        _answer(request, outcome), status_code=201 if outcome.kind == "complaint" else 200
    )


async def _parse(request: Request, runtime: Runtime, adapter: WebAdapter) -> InboundMessage:
    """The caller authenticated and the body read as one message; every refusal a 4xx."""
    raw = RawRequest(
        method="POST",
        url=str(request.url),
        headers=dict(request.headers),
        body=await request.body(),
        query=dict(request.query_params),
    )
    try:
        key = presented_key(request.headers)
        secret = presented_secret(request.headers, request.query_params.get("secret"))
        if key is None and secret is None:  # anonymous: nothing to look up
            caller = authenticate(runtime.engine, None, None)
        else:
            caller = await run_in_threadpool(authenticate, runtime.engine, key, secret)
        (inbound,) = adapter.parse(raw, caller)
    except AccessDenied as exc:
        raise error(exc.status, str(exc)) from exc
    except Unauthenticated as exc:
        raise error(401, str(exc)) from exc
    except TooLarge as exc:
        raise error(413, str(exc)) from exc
    except InvalidRequest as exc:
        raise error(400, str(exc)) from exc
    except ValidationError as exc:  # the message did not fit the common format's bounds
        raise error(400, str(exc)) from exc
    if not isinstance(inbound, InboundMessage):  # the web channel has no delivery receipts
        raise error(400, "not a message")
    return inbound


def _answer(request: Request, outcome: Outcome) -> dict[str, Any]:
    """The JSON answer: what became of the message, and the tracking link once."""
    payload: dict[str, Any] = {
        "result": outcome.kind,
        "reply": outcome.reply,
        "code": outcome.complaint_code,
        "status": outcome.status,
        "category": outcome.category,
        "opd": outcome.opd,
        "due_at": outcome.due_at.isoformat() if outcome.due_at else None,
        # When unsure of the category: buttons to show; send a button's `payload` as the text
        # of the next message to choose it.
        "choices": [choice.model_dump() for choice in outcome.choices],
    }
    if outcome.tracking_secret and outcome.complaint_code:
        # Shown once: it proves the citizen's claim to the complaint (full view, follow-ups).
        lookup_url = request.url_for("lookup", code=outcome.complaint_code)
        payload["tracking_secret"] = outcome.tracking_secret
        payload["tracking_url"] = f"{lookup_url}?secret={outcome.tracking_secret}"
    return payload


@router.get("/complaints/{code}", summary="Look up a complaint by its tracking code")
def lookup(
    code: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    lang: str | None = None,
    secret: str | None = None,
) -> dict:
    """Status and category for anyone; everything (replies included) with the tracking secret
    (`?secret=` or `X-Tracking-Secret`) or the key of the client whose citizen filed it."""
    canonical = find_code(code)
    if canonical is None or not is_code(canonical):
        raise error(400, f"{code!r} is not a tracking code (expected e.g. ADU-7K3Q9)")
    complaint = complaint_by_code(session, canonical)
    if complaint is None:
        raise error(404, f"no complaint with code {canonical}")
    try:
        full = may_see_all(
            session,
            complaint,
            presented_key(request.headers),
            presented_secret(request.headers, secret),
        )
    except AccessDenied as exc:
        raise error(exc.status, str(exc)) from exc
    if not full:
        return complaint_status(complaint, runtime.ctx, lang)
    return complaint_public(session, complaint, runtime.ctx, lang)
