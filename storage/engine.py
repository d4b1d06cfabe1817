"""Database engines and sessions: SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlmodel import Session, create_engine

# FULL: a commit is on disk before the citizen is told the code (NORMAL may lose the last
# commits on a power cut). benchmarks/durability.py measures what it costs.
SQLITE_SYNCHRONOUS = "FULL"
READ_OPTION = "aduan_reading"  # execution option: begin a plain (deferred) SQLite transaction
PING = text("SELECT 1")


def database_url(url: str) -> str:
    """`url` in the form SQLAlchemy needs: postgres:// and postgresql:// use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN; take the write lock up front instead,
    # so concurrent writers wait on busy_timeout rather than fail on lock upgrade.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        reader = connection.get_execution_options().get(READ_OPTION)
        connection.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    resolved = database_url(url)
    if resolved.startswith("sqlite"):
        # Readers run side by side and one may need a second connection (the rules check), so
        # a bounded pool could run dry with every holder waiting: SQLite connections are
        # cheap, let the pool grow with the threads instead.
        engine = create_engine(
            resolved,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=20,
            max_overflow=-1,
        )
        _configure_sqlite(engine)
        return engine
    # No ping per checkout (a round trip per transaction): a connection idle for a while is
    # checked first, one in steady use is not; a connection lost mid-use is replaced at once
    # (SQLAlchemy invalidates it and every older one) and the pipeline handles its batch again.
    engine = create_engine(resolved, pool_size=10, max_overflow=20, pool_recycle=RECYCLE_SECONDS)
    _ping_when_idle(engine)
    return engine


IDLE_PING_SECONDS = 10.0  # a pooled PostgreSQL connection idle longer is pinged before use
RECYCLE_SECONDS = 1800  # ... and one older than this is replaced (server or proxy timeouts)
_IDLE_SINCE = "aduan_idle_since"


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since <= IDLE_PING_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()  # end the transaction the ping began
        except Exception as exc:  # the pool connects anew and checks out that one instead
            raise DisconnectionError("pooled connection lost while idle") from exc


def connection_lost(exc: BaseException) -> bool:
    """Whether `exc` is the database connection breaking (a restart, a killed backend)."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class DatabaseBusy(RuntimeError):
    """The database stayed locked by another transaction for longer than the writer timeout."""


WRITER_TIMEOUT = 10.0  # seconds a transaction waits for SQLite's single writer before failing

_sqlite_writers: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
# Engines whose writer lock the current thread (or task) holds: a nested transaction passes.
_held: ContextVar[frozenset[Engine]] = ContextVar("aduan_writer_locks", default=frozenset())


@contextmanager
def _writer_lock(engine: Engine, timeout: float | None = None) -> Iterator[None]:
    """SQLite has one writer at a time; queue this process's transactions on a lock.

    Without it, every web thread holds a pooled connection while it waits for SQLite's write
    lock, the pool runs dry, and anything needing one more connection stalls for the pool
    timeout. A plain Lock, not an RLock: a route's session is opened and closed on different
    worker threads, and only a Lock may be released by a thread that did not take it.
    PostgreSQL needs no such lock.
    """
    held = _held.get()
    if engine.dialect.name != "sqlite" or engine in held:
        yield
        return
    lock = _sqlite_writers.setdefault(engine, threading.Lock())
    wait = WRITER_TIMEOUT if timeout is None else timeout
    if not lock.acquire(timeout=wait):
        raise DatabaseBusy(f"the database stayed locked for {wait:g} s; try again")
    _held.set(held | {engine})
    try:
        yield
    finally:
        _held.set(held)
        lock.release()


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


@contextmanager
def within(target: Engine | Session) -> Iterator[Session]:
    """The caller's session as it is (its transaction decides), or a new transaction."""
    if isinstance(target, Session):
        yield target
        return
    with transaction(target) as session:
        yield session


class _ReadingSession(Session):
    """Reads on SQLite's snapshot without the writer lock; takes it only if it has to write."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine.execution_options(**{READ_OPTION: True}), expire_on_commit=False)
        self._engine = engine
        self._writer: contextlib.ExitStack | None = None

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        if self._writer is None and (self.new or self.dirty or self.deleted):
            writer = contextlib.ExitStack()
            writer.enter_context(_writer_lock(self._engine))
            self._writer = writer
            # The snapshot read so far cannot become a write transaction safely (SQLite
            # refuses the upgrade without waiting); start a write transaction in its place.
            connection = self.connection()
            connection.exec_driver_sql("COMMIT")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        super().flush(objects)

    def _release(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for lookups: on SQLite it needs no writer lock, so readers run side by side.

    Should it write after all, it takes the writer lock then, and commits at the end like
    `transaction`.
    """
    if engine.dialect.name != "sqlite":
        with transaction(engine) as session:
            yield session
        return
    with _ReadingSession(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def ping(engine: Engine) -> None:
    """One round trip to the database; raises when it cannot answer."""
    with engine.connect() as connection:
        connection.execute(PING)
