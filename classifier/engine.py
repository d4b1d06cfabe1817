"""Score a message against compiled keyword rules and decide, with a calibrated confidence.

`compile_rules` runs once per rule version; `classify` runs per message and does no I/O.

Scoring: every keyword or phrase found counts once for its category, strongest first, each
further one with half the weight of the one before (see DECAY). Phrases are
matched leftmost-longest and consume their words, so "lampu jalan" counts as the street-light
phrase and not also as "jalan". A negative term found anywhere cancels its category.

Confidence: a multinomial logit over the categories that scored plus a "none of them" option,
p(c) = exp(s_c / T) / (exp(B / T) + sum_j exp(s_j / T)). T and B were set by hand on the
labelled chat messages (shared/data/chat-dev.jsonl) so that the default threshold routes
about four in five messages with no wrong routings; they are not yet fitted by log-loss.
"""

from __future__ import annotations

import math
from collections.abc import Container, Iterable
from dataclasses import dataclass, field

from classifier.intent import detect_intent
from classifier.normalize import Normalizer, base_tokens
from classifier.result import Classification, Match
from classifier.rules import RuleSet

TEMPERATURE = 1.6
NONE_SCORE = 1.6
# Diminishing returns: a category does not win on many loosely related words ("sekolah",
# "murid", "guru") against one decisive term of another ("sarang tawon").
DECAY = 0.5


@dataclass(frozen=True)
class _Entry:
    category: str
    term: str
    weight: float
    negative: bool


@dataclass(frozen=True)
class _Phrase:
    words: tuple[str, ...]
    entries: tuple[_Entry, ...]
    positive: bool


@dataclass(frozen=True)
class CompiledRules:
    """A rule set prepared for fast matching. Build it with `compile_rules`."""

    rules: RuleSet
    normalizer: Normalizer
    # first word -> phrases starting with it, longest first
    index: dict[str, tuple[_Phrase, ...]]
    opd: dict[str, str]
    order: dict[str, int] = field(default_factory=dict)


def compile_rules(rules: RuleSet) -> CompiledRules:
    """Normalise every keyword the way messages are normalised and index them by first word."""
    grouped: dict[tuple[str, ...], list[_Entry]] = {}
    for code, rule in rules.categories.items():
        terms = [(t, w, False) for t, w in rule.keywords.items()]
        terms += [(t, 0.0, True) for t in rule.negative]
        for term, weight, negative in terms:
            words = tuple(base_tokens(term))
            entries = grouped.setdefault(words, []) if words else []
            # Spellings that normalise alike ("jln rusak", "jalan rusak") count once.
            same = [e for e in entries if e.category == code and e.negative == negative]
            if not words or (same and same[0].weight >= weight):
                continue
            entries[:] = [e for e in entries if e not in same]
            entries.append(_Entry(code, term, weight, negative))
    vocabulary = {word for words in grouped for word in words if not word.startswith("<")}
    index: dict[str, list[_Phrase]] = {}
    for words, entries in grouped.items():
        phrase = _Phrase(words, tuple(entries), any(not e.negative for e in entries))
        index.setdefault(words[0], []).append(phrase)
    return CompiledRules(
        rules=rules,
        normalizer=Normalizer(vocabulary),
        index={k: tuple(sorted(v, key=lambda p: -len(p.words))) for k, v in index.items()},
        opd={code: rule.opd for code, rule in rules.categories.items()},
        order={code: i for i, code in enumerate(rules.categories)},
    )


def classify(text: str, rules: CompiledRules) -> Classification:
    """Decide intent, category and OPD for one message and say why."""
    words, raws = rules.normalizer.tokens(text)
    normalized = " ".join(words)
    found, cancelled = _scan(words, raws, rules.index)
    scores = _category_scores(found.values(), cancelled)
    matched = tuple(found.values()) + tuple(
        Match(code, term, -scores.pop(code, 0.0), raw) for code, (term, raw) in cancelled.items()
    )
    intent = detect_intent(text, words, bool(scores))
    if intent != "complaint":
        return Classification(intent, None, None, 1.0, False, normalized, matched, scores)
    settings = rules.rules.settings
    ranked = sorted(scores, key=lambda c: (-scores[c], rules.order.get(c, 0)))
    if not ranked:
        fallback = settings.fallback_category
        return Classification(
            "complaint", fallback, rules.opd.get(fallback), 0.0, True, normalized, matched, scores
        )
    probs = confidences(scores)
    best = ranked[0]
    second = probs[ranked[1]] if len(ranked) > 1 else 0.0
    needs_review = (
        probs[best] < settings.threshold
        or probs[best] - second < settings.margin
        or best == settings.fallback_category
    )
    return Classification(
        "complaint", best, rules.opd.get(best), probs[best], needs_review, normalized, matched,
        scores,
    )  # fmt: skip


def _category_scores(matches: Iterable[Match], cancelled: Container[str]) -> dict[str, float]:
    """Strongest evidence first, each further term counting DECAY times the one before."""
    weights: dict[str, list[float]] = {}
    for match in matches:
        if match.category not in cancelled:
            weights.setdefault(match.category, []).append(match.weight)
    return {
        code: sum(w * DECAY**i for i, w in enumerate(sorted(ws, reverse=True)))
        for code, ws in weights.items()
    }


def confidences(scores: dict[str, float]) -> dict[str, float]:
    """Calibrated probability of each scored category (the rest goes to "none of them")."""
    top = max(scores.values(), default=0.0)
    # Shift by the top score so large sums on long texts cannot overflow exp().
    exps = {c: math.exp((s - top) / TEMPERATURE) for c, s in scores.items()}
    total = sum(exps.values()) + math.exp((NONE_SCORE - top) / TEMPERATURE)
    return {c: e / total for c, e in exps.items()}


def _scan(
    words: list[str], raws: list[str], index: dict[str, tuple[_Phrase, ...]]
) -> tuple[dict[tuple[str, str], Match], dict[str, tuple[str, str]]]:
    """Find keywords (leftmost-longest, consuming) and negative terms in `words`."""
    found: dict[tuple[str, str], Match] = {}
    cancelled: dict[str, tuple[str, str]] = {}
    get = index.get
    i, n = 0, len(words)
    while i < n:
        phrases = get(words[i])
        if phrases is None:
            i += 1
            continue
        step = 1
        consumed = False
        for phrase in phrases:
            size = len(phrase.words)
            if size > 1 and tuple(words[i : i + size]) != phrase.words:
                continue
            if consumed and phrase.positive:
                continue
            raw = raws[i] if size == 1 else " ".join(dict.fromkeys(raws[i : i + size]))
            for entry in phrase.entries:
                if entry.negative:
                    cancelled.setdefault(entry.category, (entry.term, raw))
                elif (entry.category, entry.term) not in found:
                    found[(entry.category, entry.term)] = Match(
                        entry.category, entry.term, entry.weight, raw
                    )
            if phrase.positive:
                consumed, step = True, size
        i += step
    return found, cancelled
