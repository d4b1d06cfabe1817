"""Every request's guards, wired in one place: security headers, CORS, rate limits, input limits.

Outermost first: headers go on every answer (refusals included), CORS headers on 429s too so
a browser client can read them, rate limits count refused requests, and the input limits
and the cross-site check run before any route reads a byte of the body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import FastAPI

from aduan.api.browsers import CrossSiteRefusal, SecurityHeaders, cors
from aduan.api.input_limits import InputLimits
from aduan.api.rate_limits import RateLimit
from aduan.http_settings import HttpSettings
from aduan.web.csrf import CsrfCookie


def guard(
    app: FastAPI,
    settings: HttpSettings,
    image_origins: Sequence[str] = (),
    upload_limits: Mapping[str, int] | None = None,
) -> None:
    """Add the guards to `app` (Starlette runs the last added first); `upload_limits` are the
    paths that take larger bodies than `settings.max_body_bytes`."""
    app.add_middleware(CsrfCookie)
    app.add_middleware(CrossSiteRefusal, allowed=settings.cors_origins)
    app.add_middleware(
        InputLimits, max_body_bytes=settings.max_body_bytes, upload_limits=upload_limits
    )
    app.add_middleware(
        RateLimit,
        limits=settings.rate_limits,
        trusted_proxies=settings.trusted_proxies,
        storage=settings.rate_limit_storage,
    )
    app.add_middleware(cors, origins=settings.cors_origins)
    app.add_middleware(SecurityHeaders, image_origins=image_origins)
