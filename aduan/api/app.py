"""The FastAPI application: health, the web channel, the OPD status API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import DataError

from aduan.api import channel_webhooks, opd, reports, web_channel
from aduan.api.guards import guard
from aduan.runtime import Runtime
from channels.contract import Adapter
from dispatch.actions import ActionError
from dispatch.lifecycle import TransitionError
from storage.engine import DatabaseBusy

Background = Callable[[asyncio.Event], Awaitable[None]]


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

    app = FastAPI(title="Aduan", version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.adapters = dict(adapters)

    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
        detail: Any = exc.detail
        body = detail if isinstance(detail, dict) else {"error": str(detail)}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    # Refused actions are the domain's answers, mapped once for every route:
    # an illegal status change conflicts with the complaint's state, anything else is bad input.
    @app.exception_handler(TransitionError)
    async def _conflict(_: Request, exc: TransitionError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=409)

    @app.exception_handler(ActionError)
    async def _refused(_: Request, exc: ActionError) -> JSONResponse:
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
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
            for e in exc.errors()
        )
        return JSONResponse({"error": problems}, status_code=422)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "database": runtime.engine.dialect.name}

    app.include_router(web_channel.router)
    app.include_router(opd.router)
    app.include_router(channel_webhooks.router)
    app.include_router(reports.router)
    guard(app, runtime.config.http)
    return app
