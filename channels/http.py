"""Keep-alive HTTP clients shared by every send of an adapter or sender, one per event loop.

Building an `httpx.AsyncClient` costs an SSL context and a CA bundle read (even for http://),
and a fresh client opens a fresh connection: per send, that was most of the outbox worker's
time. A client is tied to the event loop it first ran on, so each running loop gets its own
(tests and CLI commands run several loops, one after another, in one process).

A sender that talks to several destinations asks for one client per destination (`key`):
httpcore walks every connection of its pool, polling each socket, whenever a request starts
or ends, so one pool for all destinations costs more per send the more are in flight.
"""

from __future__ import annotations

import asyncio
import ssl
import weakref

import httpx

# Room for the outbox's sends in flight (dispatch.concurrency defaults to 32).
LIMITS = httpx.Limits(max_connections=256, max_keepalive_connections=64)


class SharedClient:
    """The `httpx.AsyncClient` of the running event loop (and `key`), made on first use.

    Pass a per-request `timeout=` to its calls: the client serves destinations that differ.
    """

    def __init__(self, limits: httpx.Limits = LIMITS) -> None:
        self.limits = limits
        self._ssl: ssl.SSLContext | None = None  # built once: it reads the CA bundle
        self._clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, httpx.AsyncClient]
        ] = weakref.WeakKeyDictionary()

    def get(self, key: str = "") -> httpx.AsyncClient:
        """The running loop's client for `key` (a destination; one client for all without)."""
        clients = self._clients.setdefault(asyncio.get_running_loop(), {})
        client = clients.get(key)
        if client is None or client.is_closed:
            if self._ssl is None:
                self._ssl = httpx.create_ssl_context()
            client = clients[key] = httpx.AsyncClient(limits=self.limits, verify=self._ssl)
        return client

    async def aclose(self) -> None:
        """Close the running loop's clients (the next send makes new ones)."""
        for client in self._clients.pop(asyncio.get_running_loop(), {}).values():
            await client.aclose()
