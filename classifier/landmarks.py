"""Landmarks are places, not topics.

"jalan berlubang dekat SDN 2", "sampah menumpuk di depan pasar", "lampu mati di samping masjid":
the school, the market and the mosque only say where the problem is. A landmark word (a school,
a health centre, a market, a place of worship, an office, a station) right after a word that
places something next to it ("dekat", "depan", "samping", "sebelah", "belakang", "seberang",
"sekitar", "arah", "menuju", with or without "di") is a location: the classifier lets it vote
for no category. Without such a word ("guru SDN 2 memungut biaya", "antre lama di puskesmas")
it is the topic and counts as usual.
"""

from __future__ import annotations

# Normalised forms (slang already applied: "dpn" -> "depan", "pkm" -> "puskesmas").
_NEXT_TO = frozenset(
    {
        "dekat", "depan", "samping", "sebelah", "belakang", "seberang", "sebrang", "sekitar",
        "arah", "menuju", "pinggir", "sekitaran", "seputar", "hadapan",
        "didekat", "didepan", "disamping", "disebelah", "dibelakang", "diseberang",
        "disebrang", "disekitar", "dipinggir",
    }
)  # fmt: skip
_LANDMARKS = (
    # schools
    ("sekolah",), ("sd",), ("sdn",), ("smp",), ("smpn",), ("sma",), ("sman",), ("smk",),
    ("smkn",), ("mts",), ("mtsn",), ("madrasah",), ("pesantren",), ("ponpes",), ("kampus",),
    # health
    ("puskesmas",), ("pustu",), ("posyandu",), ("klinik",), ("rsud",), ("rumah", "sakit"),
    # markets, places of worship, offices, stations
    ("pasar",), ("masjid",), ("mesjid",), ("musala",), ("mushola",), ("musholla",),
    ("mushala",), ("langgar",), ("surau",), ("gereja",), ("pura",), ("vihara",), ("kantor",),
    ("balai",), ("terminal",), ("stasiun",), ("alun", "alun"),
)  # fmt: skip
_FIRST = frozenset(words[0] for words in _LANDMARKS)
_WINDOW = 2  # the placing word may be this many words before ("depan SD", "dekat ke SD")


def landmark_positions(words: list[str]) -> frozenset[int]:
    """Positions of `words` that name a landmark as a location (none for most messages)."""
    if _FIRST.isdisjoint(words):
        return frozenset()
    found: set[int] = set()
    for i, word in enumerate(words):
        if word not in _FIRST or not _NEXT_TO.intersection(words[max(0, i - _WINDOW) : i]):
            continue
        for landmark in _LANDMARKS:
            if tuple(words[i : i + len(landmark)]) == landmark:
                found.update(range(i, i + len(landmark)))
                break
    return frozenset(found)
