"""Bounds on what a request may carry, shared by every adapter: JSON depth, id length, no NUL.

Whatever a provider or a stranger sends is refused here with `InvalidRequest` (a 4xx) or made
safe (text truncated, NUL removed) before it reaches the database, where it would be a 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

from channels.contract import InvalidRequest
from channels.message import MAX_ID_CHARS, MAX_TEXT_CHARS, without_nul

MAX_JSON_DEPTH = 32

# A JSON string literal (escapes included), then every bracket outside of one.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(body: bytes, limit: int) -> int:
    """How deeply `body` nests arrays and objects, counting no further than `limit` + 1."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', body)):
        depth += 1 if match.group() in (b"[", b"{") else -1
        deepest = max(deepest, depth)
        if deepest > limit:
            break
    return deepest


def load_json(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`body` decoded; nesting past `max_depth` is refused before the decoder can recurse."""
    if json_depth(body, max_depth) > max_depth:
        raise InvalidRequest(f"invalid JSON: nested deeper than {max_depth} levels")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
        raise InvalidRequest(f"invalid JSON: {reason}") from exc


def identifier(value: str, field: str, limit: int = MAX_ID_CHARS) -> str:
    """A provider's id or address, refused when it could not be stored whole.

    (NUL characters are removed from every stored message by the common format itself.)
    """
    if len(value) > limit:
        raise InvalidRequest(f"{field}: at most {limit} characters")
    return value


def clean_text(value: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Message text as stored: NUL removed, trimmed, at most `limit` characters."""
    return without_nul(value).strip()[:limit]
