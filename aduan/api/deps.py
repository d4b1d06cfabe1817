"""Shared dependencies of the HTTP routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from aduan.runtime import Runtime
from storage.engine import transaction


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with transaction(runtime.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def error(status: int, message: str) -> HTTPException:
    return HTTPException(status_code=status, detail={"error": message})
