"""Repeated keywords, for rule sets with `settings.repeats: log` (learned weights).

A keyword found n times in a message counts 1 + ln(n) times its weight (sublinear term
frequency, as the weights were learned with): a report that says "jalan" five times is more
about roads than one that says it once, but not five times more.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from classifier.normalize import base_tokens
from classifier.result import Match


@lru_cache(maxsize=65536)
def _term_words(term: str) -> tuple[str, ...]:
    return tuple(base_tokens(term))


def weigh_repeats(
    found: dict[tuple[str, str], Match], words: Sequence[str]
) -> dict[tuple[str, str], Match]:
    """`found` with each keyword's weight scaled by 1 + ln(times it occurs in `words`)."""
    unigrams = Counter(words)
    bigrams: Counter[tuple[str, str]] | None = None
    out: dict[tuple[str, str], Match] = {}
    for key, match in found.items():
        parts = _term_words(match.term)
        if len(parts) == 1:
            times = unigrams[parts[0]]
        elif len(parts) == 2:
            if bigrams is None:
                bigrams = Counter(itertools.pairwise(words))
            times = bigrams[(parts[0], parts[1])]
        else:
            times = 1  # longer phrases (and area mentions) count once
        if times > 1:
            match = match._replace(weight=match.weight * (1 + math.log(times)))
        out[key] = match
    return out
