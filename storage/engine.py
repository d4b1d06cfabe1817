"""Database engines and sessions: SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

DEFAULT_URL = "sqlite:///aduan.db"
URL_ENV = "ADUAN_DATABASE_URL"


def database_url(explicit: str | None = None) -> str:
    """The URL in force: an explicit one, else ADUAN_DATABASE_URL, else ./aduan.db."""
    url = explicit or os.environ.get(URL_ENV) or DEFAULT_URL
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN; take the write lock up front instead,
    # so concurrent writers wait on busy_timeout rather than fail on lock upgrade.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | None = None) -> Engine:
    resolved = database_url(url)
    if resolved.startswith("sqlite"):
        engine = create_engine(resolved, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(resolved, pool_pre_ping=True, pool_size=10, max_overflow=20)


_sqlite_writers: dict[int, threading.RLock] = {}


def _writer_lock(engine: Engine) -> contextlib.AbstractContextManager[object]:
    """SQLite has one writer at a time; queue this process's transactions on a lock.

    Without it, every web thread holds a pooled connection while it waits for SQLite's write
    lock, the pool runs dry, and anything needing one more connection stalls for the pool
    timeout. PostgreSQL needs no such lock.
    """
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    return _sqlite_writers.setdefault(id(engine), threading.RLock())


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work commits together at the end, or not at all."""
    with _writer_lock(engine), Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
