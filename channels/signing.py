"""HMAC-SHA256 signatures for the JSON that Aduan posts to other systems."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Aduan-Signature"


def sign(secret: str, body: bytes) -> str:
    """The header value for `body`: `sha256=<hex digest>`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, body: bytes, header_value: str | None) -> bool:
    """Constant-time check of a signature header made by `sign`."""
    return header_value is not None and hmac.compare_digest(sign(secret, body), header_value)
