"""Every channel's webhooks, served by the core: `/channels/{name}/...` goes to that adapter."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from aduan.api import openapi_bodies
from aduan.api.deps import RuntimeDep, error
from aduan.complaints.receipts import Intake
from channels.contract import Ignore, InvalidRequest, RawRequest, TooLarge, Unauthenticated

log = logging.getLogger("aduan.webhooks")
router = APIRouter(tags=["channel webhooks"])


@router.api_route(
    "/channels/{name}/{path:path}",
    methods=["GET", "POST"],
    summary="A provider's webhook for channel `name`",
    openapi_extra=openapi_bodies.webhook(),
)
async def channel_webhook(name: str, path: str, request: Request, runtime: RuntimeDep) -> Response:
    adapter = request.app.state.adapters.get(name)
    if adapter is None:
        raise error(404, f"channel {name!r} is not active")
    raw = RawRequest(
        method=request.method,
        url=str(request.url),
        headers=dict(request.headers),
        body=await request.body(),
        query=dict(request.query_params),
    )
    try:
        parsed = adapter.parse(raw)
    except Unauthenticated as exc:
        log.warning("channel %s: refused unauthenticated request: %s", name, exc)
        raise error(403, "signature missing or invalid") from exc
    except Ignore:
        return Response(status_code=200)
    except TooLarge as exc:
        raise error(413, str(exc)) from exc
    except (InvalidRequest, ValidationError) as exc:
        # ValidationError: the adapter's message did not fit the common format's bounds.
        raise error(400, str(exc)) from exc
    await run_in_threadpool(Intake(runtime.engine, runtime.pipeline, name).accept, parsed)
    answer = adapter.respond(raw, parsed)
    return Response(content=answer.body, status_code=answer.status, media_type=answer.content_type)
