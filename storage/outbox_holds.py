"""Which outbox items a worker is sending, held where every other worker sees it, alive or not.

On PostgreSQL a claim also takes a session advisory lock per item, on one connection the
worker keeps open while it runs. Another worker never takes an item whose lock is held,
whatever its lease says (a send slower than the lease, a renewal that came late), and a worker
that dies lets go of all its items at once: its connection closes and the server drops its
locks. SQLite has no such locks; there the lease, renewed while the send runs, is all.
"""

from __future__ import annotations

import threading
from collections.abc import Collection

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

# The first key of the two-key advisory locks: outbox items (storage.rules uses one-key locks).
OUTBOX_LOCKS = 16

TAKE = text(
    "SELECT id FROM unnest(CAST(:ids AS integer[])) AS id WHERE pg_try_advisory_lock(:space, id)"
)
RELEASE = text("SELECT pg_advisory_unlock(:space, id) FROM unnest(CAST(:ids AS integer[])) AS id")


class SendHolds:
    """One worker's holds on the items it sends (a no-op but on PostgreSQL). Thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.enabled = engine.dialect.name == "postgresql"
        self._connection: Connection | None = None
        self._lock = threading.Lock()

    def take(self, item_ids: Collection[int]) -> set[int]:
        """Hold what no other worker holds of `item_ids`; return those now held by this one."""
        if not self.enabled or not item_ids:
            return set(item_ids)
        with self._lock:
            try:
                rows = self._connect().execute(TAKE, {"ids": list(item_ids), "space": OUTBOX_LOCKS})
                return {row[0] for row in rows}
            except Exception:
                self._drop()  # its locks went with it; the next claim connects again
                raise

    def release(self, item_ids: Collection[int]) -> None:
        """Let go of `item_ids` (settled, or given back)."""
        if not self.enabled or not item_ids:
            return
        with self._lock:
            if self._connection is None:
                return  # a lost connection held nothing any more
            try:
                self._connection.execute(RELEASE, {"ids": list(item_ids), "space": OUTBOX_LOCKS})
            except Exception:
                self._drop()
                raise

    def close(self) -> None:
        """Let go of everything (the worker stops)."""
        with self._lock:
            self._drop()

    def _connect(self) -> Connection:
        if self._connection is None:
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._connection = connection
        return self._connection

    def _drop(self) -> None:
        """Close the connection for good: back in the pool, it would keep its locks."""
        if self._connection is not None:
            self._connection.invalidate()
            self._connection.close()
            self._connection = None
