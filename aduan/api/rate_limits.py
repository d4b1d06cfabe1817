"""Rate limits per client address on every public route: 429 with Retry-After past the limit.

Counted in this process (`limits`' moving window in memory) or, with `http.rate_limit_storage`
set to a redis:// URL, in Redis, shared by every server process. The client address is the TCP
peer; `X-Forwarded-For` is believed only when that peer is a configured trusted proxy.

Webhooks get their own, much higher limit rather than none: Twilio, Meta and Telegram post
from a few addresses at high rates, so a citizen-sized limit would refuse real deliveries
(each refusal a provider retry), while a forged request costs us only a signature check.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from aduan.http_settings import RateLimits
from aduan.open311.formats import error_answer, format_in_path

Network = IPv4Network | IPv6Network


def route_class(method: str, path: str) -> str | None:
    """Which limit a request counts against; None for the health check (probes, not people)."""
    if path == "/health":
        return None
    if path.startswith("/channels/"):
        return "webhooks"
    if path.startswith("/api/v1/opd/"):
        return "opd"
    if path.startswith("/open311/"):
        return "open311"
    if method == "POST" and path in ("/api/v1/web/messages", "/lapor"):
        return "web"
    if method in ("GET", "HEAD") and path.startswith("/api/v1/web/complaints/"):
        return "lookup"
    if path.startswith("/lacak"):  # the tracking page and its buttons: codes cannot be guessed
        return "lookup"
    return "other"


def _trusted(host: str, proxies: Sequence[Network]) -> bool:
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in proxies)


def client_address(scope: Scope, proxies: Sequence[Network]) -> str:
    """The peer, or behind trusted proxies the nearest address they forwarded for."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not _trusted(peer, proxies):
        return peer
    forwarded = Headers(scope=scope).get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer


class RateLimit:
    """ASGI middleware: each client address gets `limits` requests per route class."""

    def __init__(
        self,
        app: ASGIApp,
        limits: RateLimits,
        trusted_proxies: Sequence[str],
        storage: str = "memory://",
    ) -> None:
        self.app = app
        self.rates: dict[str, list[RateLimitItem]] = {
            name: parse_many(value) for name, value in limits.model_dump().items()
        }
        self.proxies = [ip_network(p, strict=False) for p in trusted_proxies]
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = route_class(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if kind is not None:
            who = client_address(scope, self.proxies)
            for rate in self.rates[kind]:
                if not self.limiter.hit(rate, kind, who):
                    await self._refuse(rate, kind, who, scope["path"])(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    def _refuse(self, rate: RateLimitItem, kind: str, who: str, path: str) -> Response:
        reset_at = self.limiter.get_window_stats(rate, kind, who).reset_time
        wait = max(1, math.ceil(reset_at - time.time()))
        message = f"too many requests: at most {rate}; try again in {wait} s"
        if kind == "open311":  # Open311 clients read the spec's error list
            return error_answer(format_in_path(path), 429, message, {"Retry-After": str(wait)})
        return JSONResponse({"error": message}, status_code=429, headers={"Retry-After": str(wait)})
