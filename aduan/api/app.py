"""The FastAPI application: health, the web channel, the OPD status API, Open311."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from aduan.api import channel_webhooks, media, opd, open311, reports, web_channel
from aduan.api.guards import guard
from aduan.open311.formats import Open311Error, error_answer, format_in_path
from aduan.runtime import Runtime
from aduan.web.assets import mount_assets
from aduan.web.console import install as install_console
from aduan.web.pages import error_page, is_page
from aduan.web.public import install as install_public
from aduan.web.public import upload_limits as public_upload_limits
from aduan.web.routes import router as site_router
from channels.contract import Adapter
from dispatch.actions import ActionError
from dispatch.lifecycle import TransitionError
from storage.engine import DatabaseBusy, ping

OPEN311 = "/open311/"
Background = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def create_app(
    runtime: Runtime, adapters: Mapping[str, Adapter], background: Sequence[Background] = ()
) -> FastAPI:
    """The app; `background` jobs (outbox worker, pollers, timers) run for its lifetime."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = [asyncio.create_task(job(stop)) for job in background]
        yield
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.to_thread(runtime.pipeline.close)  # answers what is queued, then stops

    # /docs is served from the app's own Swagger UI (aduan.web.routes); ReDoc would need a CDN.
    app = FastAPI(title="Aduan", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.runtime = runtime
    app.state.adapters = dict(adapters)

    # Starlette's class: the router's own 404/405 are answered the same way as the routes'.
    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        detail: Any = exc.detail
        if request.url.path.startswith(OPEN311):
            message = str(detail.get("error")) if isinstance(detail, dict) else str(detail)
            return error_answer(format_in_path(request.url.path), exc.status_code, message)
        if is_page(request):
            message = str(detail.get("error")) if isinstance(detail, dict) else str(detail)
            return error_page(request, exc.status_code, message)
        body = detail if isinstance(detail, dict) else {"error": str(detail)}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    # Open311 refusals in the spec's shape, in the format the path asked for.
    @app.exception_handler(Open311Error)
    async def _open311_error(request: Request, exc: Open311Error) -> Response:
        return error_answer(format_in_path(request.url.path), exc.status, exc.description)

    # Refused actions are the domain's answers, mapped once for every route:
    # an illegal status change conflicts with the complaint's state, anything else is bad input.
    @app.exception_handler(TransitionError)
    async def _conflict(request: Request, exc: TransitionError) -> Response:
        if is_page(request):
            return error_page(request, 409, str(exc))
        return JSONResponse({"error": str(exc)}, status_code=409)

    @app.exception_handler(ActionError)
    async def _refused(request: Request, exc: ActionError) -> Response:
        if is_page(request):
            return error_page(request, 400, str(exc))
        return JSONResponse({"error": str(exc)}, status_code=400)

    # A transaction that waited too long for SQLite's writer: the client should come back.
    @app.exception_handler(DatabaseBusy)
    async def _busy(_: Request, exc: DatabaseBusy) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    # A value the database refused (too long, NUL...) came from the request: the adapters and
    # routes bound their inputs first, this only keeps a missed case from being a 500.
    @app.exception_handler(DataError)
    async def _unstorable(_: Request, exc: DataError) -> JSONResponse:
        return JSONResponse({"error": "a value in the request cannot be stored"}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
            for e in exc.errors()
        )
        if is_page(request):
            return error_page(request, 422, problems)
        return JSONResponse({"error": problems}, status_code=422)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        ping(runtime.engine)
        return {"status": "ok", "database": runtime.engine.dialect.name}

    app.include_router(web_channel.router)
    app.include_router(opd.router)
    app.include_router(channel_webhooks.router)
    app.include_router(reports.router)
    app.include_router(open311.router)
    app.include_router(media.router)
    app.include_router(site_router)
    install_console(app)
    install_public(app)
    mount_assets(app, runtime.environment.web_assets)
    guard(
        app,
        runtime.config.http,
        image_origins=[runtime.config.maps.tile_origin()],
        upload_limits=public_upload_limits(runtime.config.public),
    )
    return app
