"""Graph API error codes (WhatsApp Cloud API error codes page), shared by sending and receipts."""

from __future__ import annotations

RETRYABLE_CODES = frozenset({1, 2, 4, 17, 341, 80007, 130429, 131000, 131016, 131048, 131056})
# The person cannot be reached at this address: not on WhatsApp (131026), not an allowed test
# recipient (131030), stopped the business's messages (131050).
UNREACHABLE_CODES = frozenset({131026, 131030, 131050})


def unreachable(code: object) -> bool:
    """Whether Meta's error code, as a number or a string, is one of UNREACHABLE_CODES."""
    text = str(code).strip()
    return text.isdigit() and int(text) in UNREACHABLE_CODES
