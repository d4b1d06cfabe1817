"""Secrets handed out once (API keys, tokens, tracking secrets): only their hash is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def digest(secret: str) -> str:
    """What the database keeps of a secret (SHA-256, hex)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(prefix: str = "", size: int = 24) -> str:
    """A fresh random secret, URL-safe, optionally recognisable by its prefix."""
    return f"{prefix}{secrets.token_urlsafe(size)}"


def matches(secret: str, stored_hash: str | None) -> bool:
    """Whether `secret` is the one whose hash is stored (constant time)."""
    return stored_hash is not None and hmac.compare_digest(digest(secret), stored_hash)
