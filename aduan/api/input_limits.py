"""What any request may carry, checked before a route sees it: a bounded body, no NUL in the URL.

The body limit holds for every route: a declared Content-Length over it is refused at once,
and a body streamed without one is refused as soon as it grows past it, so no route ever reads
more than `max_body_bytes` into memory.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"body too large: at most {limit} bytes")


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _nul_in_url(scope: Scope) -> bool:
    # PostgreSQL cannot store or compare text with NUL; no route has a use for one.
    query = scope.get("query_string", b"").lower()
    return "\x00" in scope["path"] or b"%00" in query or b"\x00" in query


class InputLimits:
    """ASGI middleware: 413 for a body over `max_body_bytes`, 400 for NUL in path or query.

    `upload_limits` lets a few exact paths take more (the public form's photos).
    """

    def __init__(
        self, app: ASGIApp, max_body_bytes: int, upload_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.upload_limits = dict(upload_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _nul_in_url(scope):
            await JSONResponse({"error": "NUL characters are not allowed in the URL"}, 400)(
                scope, receive, send
            )
            return
        limit = self.upload_limits.get(scope["path"], self.max_body_bytes)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)  # the app's handler answers 413
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = _too_large(self.max_body_bytes).detail
        # The rest of the body is not read: the connection is closed after the answer.
        response = JSONResponse({"error": detail}, 413, headers={"Connection": "close"})
        await response(scope, receive, send)
