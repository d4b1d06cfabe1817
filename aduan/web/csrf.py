"""CSRF protection for the pages' forms: a double-submit token.

Every page visit carries a random token in the `aduan_csrf` cookie (set here when missing);
pages put it in each form (`csrf_token` field) and in htmx's `X-CSRF-Token` header. A
state-changing request is accepted only when the two match: a foreign site can make the
browser send the cookie, but cannot read it to fill the form. (Cross-site form posts are
refused earlier too, by origin: aduan.api.browsers.)
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie

from fastapi import HTTPException, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "aduan_csrf"
HEADER = "x-csrf-token"
FIELD = "csrf_token"
# Machine clients (webhooks, APIs) authenticate otherwise and never get a page's cookie.
NOT_PAGES = ("/api/", "/channels/", "/health", "/static/", "/openapi.json")
TOKEN_BYTES = 32


def _cookie_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                return None
            morsel = jar.get(COOKIE)
            token = morsel.value if morsel else ""
            return token if 20 <= len(token) <= 128 and token.isascii() else None
    return None


def is_https(scope: Scope) -> bool:
    return scope.get("scheme") == "https"


class CsrfCookie:
    """ASGI middleware: every page request has a CSRF token (`request.state.csrf_token`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NOT_PAGES):
            await self.app(scope, receive, send)
            return
        token = _cookie_token(scope)
        fresh = token is None
        token = token or secrets.token_urlsafe(TOKEN_BYTES)
        scope.setdefault("state", {})["csrf_token"] = token

        async def with_cookie(message: Message) -> None:
            if fresh and message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                secure = "; Secure" if is_https(scope) else ""
                headers.append(
                    "set-cookie", f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"
                )
            await send(message)

        await self.app(scope, receive, with_cookie)


async def verify_csrf(request: Request) -> None:
    """Dependency of every state-changing page route: 403 unless the form's token matches."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = _cookie_token(request.scope)
    sent = request.headers.get(HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise HTTPException(403, "the form's security token is missing or wrong; reload the page")
