"""What a citizen wrote, made fit to publish: no e-mail address, phone number, NIK or name.

Used by every public view (Open311, the public map and list). It errs on the side of hiding:
any long run of digits goes, since a NIK, a family card or a bank account are all personal.
Places are shown exactly or rounded (`public_point`), as each category's rules say.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EMAIL = re.compile(r"[\w.%+-]{1,64}\s*(?:@|\[at\]|\(at\))\s*[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
# +62 812-3456-7890, 0812 3456 7890, 62812…: a phone prefix, then 7+ digits in small groups.
PHONE = re.compile(r"(?<![\w+])(?:\+\s?|\()?(?:0|62)\)?(?:[\s.-]?\d){7,13}(?!\w)")
# A NIK is 16 digits; a family card (KK) too; any 10+ digit run is someone's number.
LONG_NUMBER = re.compile(r"(?<!\d)\d(?:[\s.-]?\d){9,}(?!\d)")
# "nama saya Budi Santoso", "saya bernama Siti": the words after it are a name.
NAME_INTRO = re.compile(
    r"\b((?i:nama\s+saya|saya\s+bernama|nama(?:\s+lengkap)?\s*:|my\s+name\s+is))"
    r"(\s+)([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*){0,2})"
)
NAME_RUN = re.compile(r"\[nama\](?:\s+\[nama\])+")  # "Budi Santoso": one name, one mark
MIN_NAME_PART = 3  # "Budi" is hidden wherever it appears; "Al" alone would hide too much

EMAIL_MARK = "[email]"
PHONE_MARK = "[telepon]"
NUMBER_MARK = "[nomor]"
NAME_MARK = "[nama]"


def scrub(text: str | None, names: Iterable[str | None] = ()) -> str | None:
    """`text` without e-mail addresses, phone numbers, long numbers (NIK) or the `names`."""
    if not text:
        return text
    text = EMAIL.sub(EMAIL_MARK, text)
    text = PHONE.sub(PHONE_MARK, text)
    text = LONG_NUMBER.sub(NUMBER_MARK, text)
    text = NAME_INTRO.sub(lambda m: m.group(1) + m.group(2) + NAME_MARK, text)
    parts = {
        part
        for name in names
        if name
        for part in re.split(r"[\s,.]+", name)
        if len(part) >= MIN_NAME_PART
    }
    for part in sorted(parts, key=len, reverse=True):
        text = re.sub(rf"(?i)(?<!\w){re.escape(part)}(?!\w)", NAME_MARK, text)
    return NAME_RUN.sub(NAME_MARK, text)


def public_point(
    lat: float | None, lon: float | None, decimals: int | None
) -> tuple[float | None, float | None]:
    """The point as the public sees it: exact (`decimals` None) or rounded (3: about 100 m)."""
    if lat is None or lon is None:
        return None, None
    if decimals is None:
        return lat, lon
    return round(lat, decimals), round(lon, decimals)
