"""What browsers need to be told: which origins may call us, what a page may load, no framing.

A cross-site request that changes something (a form a stranger's page submits on the
citizen's behalf, no preflight needed) is refused unless its origin is on the allow-list.
Providers' webhooks come from servers, which send no `Origin` or `Sec-Fetch-Site`.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def page_policy(image_origins: Sequence[str] = ()) -> str:
    """The pages' policy: only our own scripts and styles; images also from the map tiles."""
    images = " ".join(["'self'", "data:", *image_origins])
    return (
        f"default-src 'self'; img-src {images}; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


# /docs runs the app's own copy of Swagger UI, started by an inline script; the page shows only
# the API's description, so it alone may run inline script.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs",)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    """ASGI middleware: the same security headers on every response, errors included."""

    def __init__(self, app: ASGIApp, image_origins: Sequence[str] = ()) -> None:
        self.app = app
        self.policy = page_policy(image_origins).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith(DOCS_PATHS)
        policy = DOCS_POLICY.encode() if docs else self.policy

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    *HEADERS,
                    (b"content-security-policy", policy),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


def _own_origin(origin: str, headers: Headers) -> bool:
    return origin.partition("://")[2] == headers.get("host", "").lower()


class CrossSiteRefusal:
    """ASGI middleware: 403 for a state-changing request from a page not on the allow-list."""

    def __init__(self, app: ASGIApp, allowed: Sequence[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            headers = Headers(scope=scope)
            origin = headers.get("origin", "").lower() or None
            site = headers.get("sec-fetch-site", "").lower()
            if origin == "null" and site == "same-origin":
                # Our own page's form: under `Referrer-Policy: no-referrer` browsers send "null".
                origin = None
            allowed = origin in self.allowed
            foreign = origin is not None and not allowed and not _own_origin(origin, headers)
            if foreign or (site == "cross-site" and not allowed):
                refusal = JSONResponse({"error": "cross-site request refused"}, status_code=403)
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def cors(app: ASGIApp, origins: Sequence[str]) -> ASGIApp:
    """Starlette's CORS middleware for the configured origins and the headers clients send."""
    return CORSMiddleware(
        app,
        allow_origins=list(origins),
        allow_methods=["GET", "POST"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "Idempotency-Key",
            "X-Api-Key",
            "X-Tracking-Secret",
        ],
        max_age=600,
    )
