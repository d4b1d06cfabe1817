"""Tracking codes like ADU-7K3Q9: short, easy to read aloud, no 0/O or 1/I/L confusion."""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PREFIX = "ADU"
LENGTH = 5
CODE_PATTERN = re.compile(rf"\b{PREFIX}[\s\-_]?([{ALPHABET}]{{{LENGTH}}})\b", re.IGNORECASE)


def new_code() -> str:
    return f"{PREFIX}-" + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def find_code(text: str) -> str | None:
    """The first tracking code in `text`, in canonical form, tolerating case and separators."""
    match = CODE_PATTERN.search(text)
    return f"{PREFIX}-{match.group(1).upper()}" if match else None


def is_code(text: str) -> bool:
    return re.fullmatch(rf"{PREFIX}-[{ALPHABET}]{{{LENGTH}}}", text) is not None
