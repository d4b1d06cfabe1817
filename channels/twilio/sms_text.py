"""SMS text: GSM-7 vs UCS-2 segment counting, and plain text that fits in few segments.

A GSM-7 segment carries 160 characters (153 when concatenated); one character outside GSM-7
(an emoji, a curly quote) turns the whole message into UCS-2, 70 characters (67 concatenated),
so the same reply costs two or three times as much. Plain text keeps most replies GSM-7.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")  # each costs two septets (escape + char)

# Typographic characters that phones and templates produce, and their plain equivalents.
PLAIN = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
        "…": "...",
        "•": "-",
        "·": "-",
        "×": "x",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\t": " ",
    }
)
DROPPED_CATEGORIES = frozenset({"So", "Sk", "Cs", "Co", "Cf", "Mn", "Me"})  # emoji, marks

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class Segments:
    encoding: Encoding
    count: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def count_segments(text: str) -> Segments:
    """How many SMS segments `text` takes, as carriers count them."""
    if is_gsm7(text):
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, multi = 160, 153
        encoding: Encoding = "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
        encoding = "UCS-2"
    count = 1 if units <= single else -(-units // multi)
    return Segments(encoding, count, units)


def _plain_char(char: str) -> str:
    if char in GSM7_BASIC or char in GSM7_EXTENSION:
        return char
    if unicodedata.category(char) in DROPPED_CATEGORIES:
        return ""
    # "ō" -> "o", "ﬁ" -> "fi"; letters of other scripts stay (the message becomes UCS-2).
    decomposed = unicodedata.normalize("NFKD", char)
    base = "".join(c for c in decomposed if unicodedata.category(c) not in DROPPED_CATEGORIES)
    return base if base and is_gsm7(base) else char


def plain_text(text: str) -> str:
    """Text as an SMS should carry it: no emoji or typographic characters, compact spacing."""
    text = unicodedata.normalize("NFC", text).translate(PLAIN)
    text = "".join(_plain_char(c) for c in text)
    text = re.sub(r"[ ]{2,}", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()  # at most one blank line


def fit_segments(text: str, max_segments: int) -> str:
    """`text` made plain, and cut at a word boundary when it would exceed `max_segments`."""
    text = plain_text(text)
    if count_segments(text).count <= max_segments:
        return text
    per_segment = 153 if is_gsm7(text) else 67
    words = text[: per_segment * max_segments].split(" ")
    while len(words) > 1 and count_segments(" ".join(words) + "...").count > max_segments:
        words.pop()
    cut = " ".join(words).rstrip(",;:.- ") + "..."
    while count_segments(cut).count > max_segments:  # one very long word
        cut = cut[:-4] + "..."
    return cut
