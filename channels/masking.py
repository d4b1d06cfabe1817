"""Masking of citizens' addresses for logs: enough to correlate, not enough to identify."""

from __future__ import annotations


def mask_address(address: str) -> str:
    """`tel:+6281234567890` -> `tel:+62812*****890`; `mailto:warga@x.id` -> `mailto:wa***@x.id`."""
    scheme, sep, rest = address.partition(":")
    if not sep:
        scheme, rest = "", address
    if "@" in rest:
        local, _, domain = rest.partition("@")
        masked = f"{local[:2]}***@{domain}"
    elif len(rest) <= 4:
        masked = "*" * len(rest)
    else:
        keep = max(2, len(rest) // 4)
        masked = rest[: keep + 1] + "*" * (len(rest) - 2 * keep - 1) + rest[-keep:]
    return f"{scheme}:{masked}" if scheme else masked
