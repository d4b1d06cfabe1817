"""Shared dependencies of the HTTP routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from aduan.runtime import Runtime
from storage.engine import reading, transaction

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_runtime(request: Request) -> Runtime:
    """Async so that FastAPI calls it on the event loop: a plain function would cost every
    request a hop to the thread pool and back."""
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(request: Request, runtime: RuntimeDep) -> Iterator[Session]:
    """The request's unit of work: lookups read side by side, other requests queue to write.

    FastAPI opens and closes this on different worker threads, so nothing here may be owned
    by a thread (the SQLite writer lock is a plain Lock, with a timeout: DatabaseBusy, 503).
    """
    opened = reading if request.method in SAFE_METHODS else transaction
    with opened(runtime.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def error(status: int, message: str) -> HTTPException:
    return HTTPException(status_code=status, detail={"error": message})
