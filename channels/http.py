"""One keep-alive HTTP client per event loop, shared by every send of an adapter or sender.

Building an `httpx.AsyncClient` costs an SSL context and a CA bundle read (even for http://),
and a fresh client opens a fresh connection: per send, that was most of the outbox worker's
time. A client is tied to the event loop it first ran on, so each running loop gets its own
(tests and CLI commands run several loops, one after another, in one process).
"""

from __future__ import annotations

import asyncio
import weakref

import httpx

# Room for the outbox's sends in flight (dispatch.concurrency defaults to 32).
LIMITS = httpx.Limits(max_connections=256, max_keepalive_connections=64)


class SharedClient:
    """The `httpx.AsyncClient` of the running event loop, made on first use.

    Pass a per-request `timeout=` to its calls: the client serves destinations that differ.
    """

    def __init__(self) -> None:
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]
        self._clients = weakref.WeakKeyDictionary()

    def get(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(limits=LIMITS)
            self._clients[loop] = client
        return client

    async def aclose(self) -> None:
        """Close the running loop's client (the next send makes a new one)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()
