"""Bytes of a mail as the text its writer meant, whatever charset label they carry.

Mail clients label text with the charset they think they used, and often name a subset of the
one they did use: "gb2312" for GBK, "iso-8859-1" for Windows-1252, "ks_c_5601-1987" for CP949.
Browsers decode such labels with the superset (the WHATWG Encoding Standard); so do we. A label
nobody knows (`X-UNKNOWN`), or one the bytes do not fit, goes to UTF-8 and then to a detector
(charset-normalizer); only when nothing fits are undecodable bytes replaced.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from email.header import decode_header

import charset_normalizer

# Python codec name -> the superset that text so labelled is decoded with (WHATWG).
_SUPERSETS = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
    "iso2022_jp": "iso2022_jp_ext",
}
# Labels mail clients write that Python's codec registry does not know.
_ALIASES = {
    "gb_2312-80": "gb18030",
    "x-gbk": "gb18030",
    "csgb2312": "gb18030",
    "windows-874": "cp874",
    "ks_c_5601-1989": "cp949",
    "x-sjis": "cp932",
    "x-x-big5": "big5hkscs",
    "iso-8859-8-i": "iso8859-8",
    "x-mac-roman": "mac_roman",
}


@dataclass(frozen=True)
class Decoded:
    text: str
    # Set when the text was not decoded as labelled: what was done, for the operator's notes.
    note: str | None = None


def _codecs_for(label: str | None) -> list[str]:
    """The codecs to try, in order, for text with this charset label."""
    name = (label or "us-ascii").strip().strip("\"'").lower()
    codec = _ALIASES.get(name)
    if codec is None:
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            return ["utf-8"]
    if codec == "ascii":
        # 8-bit bytes under an ASCII label (or none) are most often UTF-8 from a careless client.
        return ["utf-8", "cp1252"]
    return [_SUPERSETS.get(codec, codec), "utf-8"]


def decode_text(data: bytes, label: str | None) -> Decoded:
    """`data` as text: by its label's superset, UTF-8, a detector, and only then with U+FFFD."""
    tried = _codecs_for(label)
    for codec in tried:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        as_labelled = codec == tried[0] or data.isascii()
        return Decoded(text, None if as_labelled else f"{label} text read as {codec}")
    best = charset_normalizer.from_bytes(data).best()
    if best is not None:
        return Decoded(str(best), f"{label} text detected as {best.encoding}")
    return Decoded(data.decode(tried[0], errors="replace"), f"{label} text partly undecodable")


def unescape(value: str) -> str:
    """A raw header value the parser kept as undecodable bytes (raw UTF-8, RFC 6532) as text."""
    if not any("\udc80" <= char <= "\udcff" for char in value):
        return value
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value
    return decode_text(data, "utf-8").text


def header_text(raw: str) -> str:
    """A raw header value decoded: RFC 2047 words by their charset's superset, raw 8-bit bytes
    as UTF-8 (RFC 6532), unknown charsets by detection."""
    pieces = []
    for chunk, charset in decode_header(unescape(raw)):
        if isinstance(chunk, str):
            pieces.append(chunk)
        elif charset is None:
            # decode_header gives the text between encoded words back in this codec.
            pieces.append(chunk.decode("raw-unicode-escape"))
        else:
            pieces.append(decode_text(chunk, charset).text)
    return " ".join("".join(pieces).split())
