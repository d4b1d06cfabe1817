"""Normalise Indonesian chat text into tokens the keyword rules can match.

Two layers:

- `base_tokens(text)`: rule-independent clean-up (NFKC, case, masking of URLs, e-mails and
  numbers, `anak2` reduplication, repeated letters, slang/abbreviation/regional words from
  `data/slang.tsv`). Rule keywords go through this same layer, so `jln rusak` in a config and
  `jln rusak` in a message meet as `jalan rusak`.
- `Normalizer(vocabulary)`: adds the rule-aware steps — clitic/affix stripping and typo
  tolerance — that map an unknown token onto a word the rules know (`bnjir` -> `banjir`,
  `selokane` -> `selokan`). Every token is resolved once and cached.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from functools import lru_cache
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import OSA
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

URL, EMAIL, NUM = "<url>", "<email>", "<num>"

_URL_RE = re.compile(r"(?:https?://|www\.)\S+")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# `anak2`, `bolong2an` style reduplication: letters followed by a lone 2.
_REDUP_RE = re.compile(r"\b([^\W\d_]{2,})2(?:an)?\b")
_NUM_RE = re.compile(r"\d+(?:[.,]\d+)*")
_HAS_DIGIT = re.compile(r"\d").search
_TOKEN_RE = re.compile(r"<(?:url|email|num)>|[^\W\d_]+")
_REPEAT_RE = re.compile(r"([^\W\d_])\1{2,}")
# The same patterns for ASCII text, where `[^\W\d_]` is `[a-zA-Z]` and `\d` is `[0-9]`: the
# explicit classes avoid a Unicode category lookup per character and are several times faster.
_ASCII_DIGIT = re.compile(r"[0-9]").search
_ASCII_REDUP_RE = re.compile(r"\b([a-zA-Z]{2,}+)2(?:an)?\b")
_ASCII_NUM_RE = re.compile(r"[0-9]+(?:[.,][0-9]+)*")
_DIGITS_AS_ZERO = str.maketrans("123456789", "000000000")
# From this length on, `_mask_numbers` beats one regex substitution (the regex is cheaper to
# set up, but looks at every character).
_LONG_TEXT = 200
_ASCII_TOKEN_RE = re.compile(r"<(?:url|email|num)>|[a-zA-Z]+")
# Every ASCII character but the letters and the `<` `>` of masks, as a space (see `raw_tokens`).
_ASCII_SEPARATORS = {c: " " for c in range(128) if not (chr(c).isalpha() or chr(c) in "<>")}

# Colloquial, Javanese and Sundanese clitics and prefixes that the formal stemmer does not know
# (`selokane`, `jalanna`, `benerin`, `ngegenang`). Only used to map an unknown token onto a word
# the rules know, so an over-eager strip cannot invent a match.
_SUFFIXES = ("nyah", "nya", "ipun", "ne", "na", "e", "in", "ku", "mu", "lah")
_PREFIXES = ("nge", "ng", "ny", "di", "ke", "ka", "ter")
# Typo correction is only tried on tokens at least this long: shorter ones are too often other
# words one letter away ("file" / "fire", "atap" / "asap").
_MIN_FUZZY_LEN = 5


def _read_data(name: str) -> str:
    return resources.files("classifier").joinpath("data", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def slang_table() -> dict[str, tuple[str, ...]]:
    """The shipped slang dictionary: written form -> standard tokens."""
    table: dict[str, tuple[str, ...]] = {}
    for line in _read_data("slang.tsv").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        written, standard = line.split("\t", 1)
        table[written.strip()] = tuple(standard.split())
    return table


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Everyday words that typo correction must leave alone."""
    words: set[str] = set()
    for line in _read_data("common.txt").splitlines():
        if not line.startswith("#"):
            words.update(line.split())
    return frozenset(words)


@lru_cache(maxsize=1)
def _stemmer() -> object:
    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=1)
def root_words() -> frozenset[str]:
    """Indonesian root words (PySastrawi's dictionary): real words, never typos."""
    path = resources.files("Sastrawi").joinpath("Stemmer", "data", "kata-dasar.txt")
    return frozenset(path.read_text(encoding="utf-8").split())


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Formal Indonesian stem (`kebanjiran` -> `banjir`, `dipangkas` -> `pangkas`)."""
    return _stemmer().stem(word)  # type: ignore[attr-defined]


def clean(text: str) -> str:
    """Unicode-normalise, lowercase and mask URLs, e-mails and numbers."""
    if not text.isascii():
        return _clean_unicode(text)
    # NFKC leaves plain ASCII unchanged: skip it for the (common) ASCII message.
    text = text.lower()
    # The substitutions are skipped when they cannot apply: most chat messages need none.
    if "http" in text or "www." in text:
        text = _URL_RE.sub(f" {URL} ", text)
    if "@" in text:
        text = _EMAIL_RE.sub(f" {EMAIL} ", text)
    if _ASCII_DIGIT(text):
        if _letter_then_2(text):
            text = _ASCII_REDUP_RE.sub(r"\1 \1", text)
        if len(text) < _LONG_TEXT:
            text = _ASCII_NUM_RE.sub(f" {NUM} ", text)
        else:
            text = _mask_numbers(text)
    return text


def _mask_numbers(text: str) -> str:
    """`_NUM_RE.sub(" <num> ", text)` for ASCII `text`, jumping from number to number."""
    # With every digit written as 0, str.find locates the next number far faster than a
    # regex search, which looks at every character; the regex then only matches at it.
    digits = text.translate(_DIGITS_AS_ZERO)
    parts: list[str] = []
    end = 0
    start = digits.find("0")
    while start != -1:
        parts.append(text[end:start])
        end = _ASCII_NUM_RE.match(text, start).end()  # type: ignore[union-attr]
        start = digits.find("0", end)
    parts.append(text[end:])
    return f" {NUM} ".join(parts)


def _letter_then_2(text: str) -> bool:
    """Whether a letter directly precedes a `2` in ASCII `text` (reduplication can apply)."""
    # str.find jumps from one 2 to the next far faster than a regex looks at every character.
    i = text.find("2")
    while i != -1:
        if i and text[i - 1].isalpha():
            return True
        i = text.find("2", i + 1)
    return False


def _clean_unicode(text: str) -> str:
    """`clean` for text with non-ASCII characters."""
    text = unicodedata.normalize("NFKC", text).lower()
    if "http" in text or "www." in text:
        text = _URL_RE.sub(f" {URL} ", text)
    if "@" in text:
        text = _EMAIL_RE.sub(f" {EMAIL} ", text)
    if _HAS_DIGIT(text):
        text = _REDUP_RE.sub(r"\1 \1", text)
        text = _NUM_RE.sub(f" {NUM} ", text)
    return text


@lru_cache(maxsize=65536)
def base_token(token: str) -> tuple[str, ...]:
    """Rule-independent standard form of one raw token (possibly several words)."""
    slang = slang_table()
    if token in slang:
        return slang[token]
    squeezed = _REPEAT_RE.sub(r"\1", token)
    if squeezed != token:
        # "parahhh" -> "parah", but "maaaf" -> "maaf" when the doubled form is a known word.
        doubled = _REPEAT_RE.sub(r"\1\1", token)
        if doubled in slang or doubled in common_words():
            return slang.get(doubled, (doubled,))
        return slang.get(squeezed, (squeezed,))
    return (token,)


def raw_tokens(text: str) -> list[str]:
    """Tokens of the cleaned text, before any dictionary lookup."""
    cleaned = clean(text)
    if not cleaned.isascii():
        return _TOKEN_RE.findall(cleaned)
    if not text.isascii() or "<" in text or ">" in text:
        return _ASCII_TOKEN_RE.findall(cleaned)
    # Every `<` and `>` left is part of a mask that `clean` put between spaces and the rest is
    # letters and separators, so splitting yields exactly the tokens `_TOKEN_RE` finds.
    return cleaned.translate(_ASCII_SEPARATORS).split()


def base_tokens(text: str) -> list[str]:
    """Rule-independent normalised tokens of `text`."""
    return [word for token in raw_tokens(text) for word in base_token(token)]


class Normalizer:
    """Rule-aware normaliser: maps unknown tokens onto the rules' vocabulary."""

    def __init__(self, vocabulary: Iterable[str], *, max_cache: int = 200_000) -> None:
        self.vocabulary = frozenset(vocabulary)
        self._known = self.vocabulary | everyday_words()
        # Typo candidates grouped by first letter: people rarely mistype the first letter,
        # and this keeps "mohon" from turning into "pohon".
        self._by_initial: dict[str, list[str]] = {}
        for word in sorted(self.vocabulary):
            if len(word) >= _MIN_FUZZY_LEN - 1:
                self._by_initial.setdefault(word[0], []).append(word)
        self.resolve = lru_cache(maxsize=max_cache)(self._resolve)
        # Raw token -> resolved words, and raw token -> its word for the (usual) token that
        # resolves to exactly one: plain dicts are the fastest lookup on the hot path.
        self._cache: dict[str, tuple[str, ...]] = {}
        self._single: dict[str, str] = {}
        self._max_cache = max_cache

    def tokens(self, text: str) -> tuple[list[str], list[str]]:
        """Normalised words of `text` and, in parallel, the raw token each came from."""
        raws = raw_tokens(text)
        try:
            # Every token known and one word each: the common case.
            return list(map(self._single.__getitem__, raws)), raws
        except KeyError:
            return self._fill_in(raws)

    def _fill_in(self, raws: list[str]) -> tuple[list[str], list[str]]:
        """`tokens` when some token is new or resolves to several words."""
        singles = list(map(self._single.get, raws))  # None where not known as one word
        words: list[str] = []
        parallel: list[str] = []
        start = 0
        # Copy the known runs in slices and resolve each gap (usually one or two tokens).
        while True:
            try:
                gap = singles.index(None, start)
            except ValueError:
                break
            words += singles[start:gap]  # type: ignore[arg-type]
            parallel += raws[start:gap]
            raw = raws[gap]
            resolved = self._cached(raw)
            words += resolved
            parallel += [raw] * len(resolved)
            start = gap + 1
        words += singles[start:]  # type: ignore[arg-type]
        parallel += raws[start:]
        return words, parallel

    def _cached(self, raw: str) -> tuple[str, ...]:
        """`resolve(raw)`, remembered in the token dicts while they have room."""
        resolved = self._cache.get(raw)
        if resolved is None:
            resolved = self.resolve(raw)
            if len(self._cache) < self._max_cache:
                self._cache[raw] = resolved
                if len(resolved) == 1:
                    self._single[raw] = resolved[0]
        return resolved

    def normalize(self, text: str) -> str:
        """The normalised text as one string (what the rules see)."""
        return " ".join(word for raw in raw_tokens(text) for word in self.resolve(raw))

    def _resolve(self, raw: str) -> tuple[str, ...]:
        words = base_token(raw)
        if len(words) != 1:
            return words
        word = words[0]
        if word in self._known or word.startswith("<") or word in root_words():
            return words
        stripped = self._strip_affixes(word)
        if stripped:
            return stripped
        root = stem(word)
        if root in self.vocabulary:
            return (root,)
        if root in root_words():
            return words  # a correctly spelt derived word the rules do not use
        return self._fuzzy(word) or words

    def _strip_affixes(self, word: str) -> tuple[str, ...] | None:
        return strip_affixes(word, self.vocabulary)

    def _fuzzy(self, word: str) -> tuple[str, ...] | None:
        if len(word) < _MIN_FUZZY_LEN:
            return None
        candidates = self._by_initial.get(word[0])
        if not candidates:
            return None
        limit = 1 if len(word) < 8 else 2
        found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=limit, limit=2)
        if not found:
            return None
        best = found[0][0]
        # An ambiguous typo (two words equally close) is left alone rather than guessed.
        if len(found) > 1 and found[1][1] == found[0][1]:
            return None
        # Short words: only a dropped letter (`bnjir`, `smpah`) or swapped letters count;
        # a changed vowel is more often another word or a dialect form (`jatoh`).
        if len(word) < 7 and len(best) != len(word) + 1 and sorted(best) != sorted(word):
            return None
        return (best,)


@lru_cache(maxsize=1)
def everyday_words() -> frozenset[str]:
    """Words read as themselves whatever the rules: common words and the slang table's."""
    slang = slang_table()
    return common_words() | slang.keys() | {w for words in slang.values() for w in words}


def strip_affixes(word: str, vocabulary: AbstractSet[str]) -> tuple[str, ...] | None:
    """`word` without a colloquial clitic or affix, when that is a word of `vocabulary` or of
    the slang table (then as the table reads it); None otherwise."""
    slang = slang_table()
    for stem in _affix_variants(word):
        if stem in vocabulary:
            return (stem,)
        if stem in slang:
            return slang[stem]
    return None


def derived_reading(word: str, vocabulary: AbstractSet[str]) -> tuple[str, ...]:
    """How a message's `word` is read when `vocabulary` (the rules' words) lacks it, typos
    aside: a derived word as its stem when that is in `vocabulary` (`kebanjiran` -> `banjir`),
    a colloquial form as the slang table says, any other word as itself."""
    if word in everyday_words() or word.startswith("<") or word in root_words():
        return (word,)
    stripped = strip_affixes(word, vocabulary)
    if stripped:
        return stripped
    root = stem(word)
    return (root,) if root != word and root in vocabulary else (word,)


def _affix_variants(word: str) -> list[str]:
    """Candidate stems of `word`: suffix only, prefix only, then both."""
    suffixless = [word[: -len(s)] for s in _SUFFIXES if _strippable(word, s, end=True)]
    prefixless = [word[len(p) :] for p in _PREFIXES if _strippable(word, p, end=False)]
    both = [
        part[len(p) :] for part in suffixless for p in _PREFIXES if _strippable(part, p, end=False)
    ]
    return suffixless + prefixless + both


def _strippable(word: str, affix: str, *, end: bool) -> bool:
    has = word.endswith(affix) if end else word.startswith(affix)
    return has and len(word) - len(affix) >= 3
