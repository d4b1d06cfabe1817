"""Find the kecamatan and desa/kelurahan a message names, from the deployment's area list.

The names come in as data (`Gazetteer.build`, from the area table the app imported); this
module does no I/O. A name is recognised

- written as one word or several ("Bale Endah" / "Baleendah"), in any case;
- after the usual markers ("desa", "ds.", "kel.", "kelurahan", "kec.", "kecamatan", an
  "RT 02/RW 05" just before it), which say which kind of area the name is;
- with a typo: one edit for names up to 7 letters, two from 8. Without a marker only long
  names (8 letters or more) that are not everyday words are corrected, so "pacet" or "ibun"
  must be written right, and "jalan" never becomes a village.

A desa name shared by villages of several kecamatan is resolved by the kecamatan the message
also names; when it names none, the desa is recorded and the kecamatan left open.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from classifier.normalize import common_words, raw_tokens, root_words

KECAMATAN, DESA = "kecamatan", "desa"
# Marker word -> the kind of area the next name is.
_MARKERS = {
    "kecamatan": KECAMATAN,
    "kec": KECAMATAN,
    "kecamatn": KECAMATAN,
    "kcmtn": KECAMATAN,
    "desa": DESA,
    "ds": DESA,
    "kelurahan": DESA,
    "kel": DESA,
    "kelurahn": DESA,
    "kalurahan": DESA,
    "lurah": DESA,
}
# Long markers are recognised with one typo ("kecamtan", "kelurhan").
_FUZZY_MARKERS = {"kecamatan": KECAMATAN, "kelurahan": DESA}
_RT_RW = frozenset({"rt", "rw"})
# Addresses pasted from forms lose their line breaks: "Kec. PameungpeukDs.Bojongkunci".
_GLUED = re.compile(r"(?<=[a-z])(?=[A-Z])")
_MAX_WORDS = 3  # longest name, in words, looked for
_MIN_FUZZY = 5  # shortest name corrected after a marker
_MIN_FUZZY_BARE = 8  # shortest name corrected without a marker


@dataclass(frozen=True)
class Place:
    """The area a message names: official names, either may be unknown."""

    kecamatan: str | None
    desa: str | None
    found_as: str  # the text that named it

    def as_dict(self) -> dict[str, str | None]:
        return {"kecamatan": self.kecamatan, "desa": self.desa}


@dataclass(frozen=True)
class _Area:
    kecamatan: str
    desa: str | None  # None: the kecamatan itself

    @property
    def kind(self) -> str:
        return KECAMATAN if self.desa is None else DESA


@dataclass(frozen=True)
class _Mention:
    areas: tuple[_Area, ...]
    found_as: str
    marker: str | None  # the kind a marker asked for, if any
    exact: bool  # written as the list has it (not a typo corrected)


def squash(name: str) -> str:
    """The key a name is looked up by: lower-case letters only, spaces dropped."""
    return "".join(raw_tokens(name))


class Gazetteer:
    """The area names of one deployment, ready for `locate`."""

    def __init__(self, areas: Mapping[str, tuple[_Area, ...]]) -> None:
        self._areas = dict(areas)
        self._by_initial: dict[str, list[str]] = {}
        for key in sorted(self._areas):
            self._by_initial.setdefault(key[0], []).append(key)
        self._known = common_words() | root_words()
        self._correct = lru_cache(maxsize=65536)(self._closest)

    @classmethod
    def build(cls, kecamatan: Mapping[str, Iterable[str]]) -> Gazetteer:
        """From kecamatan name -> its desa/kelurahan names (official spellings)."""
        areas: dict[str, list[_Area]] = {}
        for kec, villages in kecamatan.items():
            areas.setdefault(squash(kec), []).append(_Area(kec, None))
            for desa in villages:
                areas.setdefault(squash(desa), []).append(_Area(kec, desa))
        return cls({key: tuple(found) for key, found in areas.items() if key})

    @property
    def kecamatan_names(self) -> list[str]:
        """Every kecamatan, in official spelling."""
        names = {a.kecamatan for found in self._areas.values() for a in found}
        return sorted(names)

    def locate(self, text: str) -> Place | None:
        """The kecamatan and desa `text` names, as far as it can tell; None when it names none."""
        mentions = self._mentions(raw_tokens(_GLUED.sub(" ", text)))
        return _resolve(mentions) if mentions else None

    def _mentions(self, tokens: list[str]) -> list[_Mention]:
        mentions: list[_Mention] = []
        i, n = 0, len(tokens)
        while i < n:
            marker = _marker(tokens, i)
            if marker is not None:
                kind, start = marker
                found = self._name_at(tokens, start, kind)
                if found is not None:
                    size, areas, exact = found
                    raw = " ".join(tokens[i : start + size])
                    mentions.append(_Mention(areas, raw, kind, exact))
                    i = start + size
                    continue
                i = start
                continue
            found = self._name_at(tokens, i, None)
            if found is not None:
                size, areas, exact = found
                mentions.append(_Mention(areas, " ".join(tokens[i : i + size]), None, exact))
                i += size
                continue
            i += 1
        return mentions

    def _name_at(
        self, tokens: list[str], start: int, kind: str | None
    ) -> tuple[int, tuple[_Area, ...], bool] | None:
        """The longest name starting at `start`: its size in tokens, the areas it names and
        whether it was written exactly."""
        for size in range(min(_MAX_WORDS, len(tokens) - start), 0, -1):
            words = tokens[start : start + size]
            if any(w.startswith("<") or w in _MARKERS for w in words):
                continue
            key = "".join(words)
            areas = self._areas.get(key)
            exact = areas is not None
            if areas is None and (kind is not None or size == 1):
                if key in self._known or (kind is None and len(key) < _MIN_FUZZY_BARE):
                    continue
                if len(key) >= _MIN_FUZZY:
                    # Without a marker, one edit only: "bundaran" is no typo of "banjaran".
                    corrected = self._correct(key, 2 if kind is not None and len(key) >= 8 else 1)
                    areas = self._areas.get(corrected) if corrected else None
            if areas is None:
                continue
            if kind is None and size == 1 and key in self._known and not _has_kecamatan(areas):
                continue  # a desa named like an everyday word counts only after a marker
            return size, areas, exact
        return None

    def _closest(self, key: str, limit: int) -> str | None:
        """The one area name within `limit` edits of `key` (None if none or several)."""
        candidates = self._by_initial.get(key[0])
        if not candidates:
            return None
        found = process.extract(
            key, candidates, scorer=Levenshtein.distance, score_cutoff=limit, limit=2
        )
        if not found or (len(found) > 1 and found[1][1] == found[0][1]):
            return None
        return found[0][0]


def _has_kecamatan(areas: tuple[_Area, ...]) -> bool:
    return any(a.desa is None for a in areas)


@lru_cache(maxsize=65536)
def _marker_kind(word: str) -> str | None:
    kind = _MARKERS.get(word)
    if kind is None and len(word) >= 7:
        kind = next(
            (k for m, k in _FUZZY_MARKERS.items() if Levenshtein.distance(word, m) <= 1), None
        )
    return kind


def _marker(tokens: list[str], i: int) -> tuple[str, int] | None:
    """The kind of area a marker at `i` announces, and where its name starts."""
    word = tokens[i]
    kind = _marker_kind(word)
    if kind is not None:
        return kind, i + 1
    if word in _RT_RW:
        # "rt 02 rw 05 sukamaju", "rt/rw 02/05 sukamaju": the name after the numbers is a desa.
        j = i
        while j < len(tokens) and (tokens[j] in _RT_RW or tokens[j].startswith("<")):
            j += 1
        if j > i + 1 and j < len(tokens) and tokens[j] not in _MARKERS:
            return DESA, j
    return None


def _resolve(mentions: list[_Mention]) -> Place | None:
    """One place from every mention: an explicit kecamatan first, then the desa inside it."""
    named = [m for m in mentions if _names_kecamatan(m)]
    # After "kec." beats without; written right beats a corrected typo; then the first.
    kecamatan = max(named, key=lambda m: (m.marker == KECAMATAN, m.exact), default=None)
    if kecamatan is not None:
        return _within(kecamatan, mentions)
    for m in mentions:
        villages = [a for a in m.areas if a.desa is not None]
        if villages and m.marker != KECAMATAN:
            return _village(m, villages)
    return None


def _within(kecamatan: _Mention, mentions: list[_Mention]) -> Place:
    """The kecamatan named, with the first desa named that lies inside it."""
    kec_name = next(a.kecamatan for a in kecamatan.areas if a.desa is None)
    for m in mentions:
        if m is kecamatan or m.marker == KECAMATAN:
            continue
        # A desa of another kecamatan is more likely another word, or an address: passed by.
        inside = [a for a in m.areas if a.desa is not None and a.kecamatan == kec_name]
        if inside:
            return Place(kec_name, inside[0].desa, f"{kecamatan.found_as}, {m.found_as}")
    return Place(kec_name, None, kecamatan.found_as)


def _village(m: _Mention, villages: list[_Area]) -> Place:
    """A desa named without its kecamatan."""
    if len({a.kecamatan for a in villages}) > 1:
        # A shared name: the namesake desa of a kecamatan (its seat) if one is, else open.
        seat = [a for a in villages if squash(a.kecamatan) == squash(a.desa or "")]
        if len(seat) != 1:
            return Place(None, villages[0].desa, m.found_as)
        villages = seat
    return Place(villages[0].kecamatan, villages[0].desa, m.found_as)


def _names_kecamatan(m: _Mention) -> bool:
    """A kecamatan's name, not after "desa"/"kel." (unless no desa is called so)."""
    return _has_kecamatan(m.areas) and (m.marker != DESA or all(a.desa is None for a in m.areas))
