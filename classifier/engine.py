"""Score a message against compiled keyword rules and decide, with a calibrated confidence.

`compile_rules` runs once per rule version; `classify` runs per message and does no I/O.

Scoring: every keyword or phrase found counts once for its category, strongest first, each
further one with `decay` times the weight of the one before (settings.decay, 0.5 by default).
A phrase hides the shorter terms of other categories inside it, so "lampu jalan" counts as the
street-light phrase and not also as the road's "jalan"; the terms of its own category inside it
are folded into its match, which weighs the more of the phrase and of them (unless
settings.overlap: then every keyword present counts, as learned weights assume). So adding a
keyword to a category never lowers that category's score, nor its confidence
(tests/classifier/test_monotone.py; docs/routing.md says the one known exception). A negative
term found anywhere cancels its category. A category's `bias` (0 unless set) is added to its
score once a keyword is found. Two categories with the same top score are a tie: the one
listed first wins, and the complaint goes to review.

Areas (optional, settings.areas): a kecamatan/kelurahan named in the text adds the table's
weight to the categories that route by area, and when one of those categories wins, the
complaint goes to that area's own office. With the deployment's area list (`places`, see
`classifier.places`) the kecamatan and desa are read from the official names, and that
kecamatan is the area. Landmarks named as the location ("dekat SDN 2") vote for nothing
(`classifier.landmarks`).

Confidence: a multinomial logit over the categories that scored plus a "none of them" option,
p(c) = exp(s_c / T) / (exp(B / T) + sum_j exp(s_j / T)). For the default rules T and B were set
by hand on the labelled chat messages (shared/data/chat-dev.jsonl) so that the default threshold
routes about four in five messages with no wrong routings; a deployment may set its own
(settings.temperature, settings.none_score), e.g. chosen by cross-validation on its history.

Speed: every keyword, phrase and area spelling sits in a trie of normalised words whose root
is a dict keyed by first word; tokens are normalised once and cached by the `Normalizer`, so a
message costs one tokenisation, one dict lookup per token and work proportional to what matched.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import compress
from typing import NamedTuple

from classifier.intent import detect_intent
from classifier.landmarks import landmark_positions
from classifier.normalize import Normalizer, base_tokens, derived_reading
from classifier.places import Gazetteer, Place, squash
from classifier.result import Classification, Match
from classifier.rules import AreaTable, RuleSet
from classifier.term_frequency import weigh_repeats

# Defaults of settings.temperature / none_score / decay, kept for callers that import them.
TEMPERATURE = 1.6
NONE_SCORE = 1.6
# Diminishing returns: a category does not win on many loosely related words ("sekolah",
# "murid", "guru") against one decisive term of another ("sarang tawon").
DECAY = 0.5

_KEYWORD, _NEGATIVE, _AREA = 0, 1, 2
AREA_TERM = "<area>"


@dataclass(frozen=True)
class _Entry:
    category: str  # for an area entry: the area's name
    term: str
    weight: float
    kind: int

    @property
    def negative(self) -> bool:
        return self.kind == _NEGATIVE


class _Phrase(NamedTuple):
    """What finding one normalised term (a word or a phrase) means, ready for the scan."""

    size: int  # number of words
    keywords: tuple[tuple[tuple[str, str], str, str, float], ...]  # (key, category, term, weight)
    negatives: tuple[tuple[str, str], ...]  # (category, term)
    area: str | None  # the area this spelling names
    positive: bool  # has a keyword: consumes its words when matched
    simple: bool  # one word, one keyword, nothing else


class _Node(NamedTuple):
    """A trie node: the term ending at this word, and the words that may follow."""

    phrase: _Phrase | None
    children: dict[str, _Node] | None


def _phrase(words: tuple[str, ...], entries: list[_Entry]) -> _Phrase:
    """The scan's view of the entries of one normalised term."""
    areas = [e.category for e in entries if e.kind == _AREA]
    simple = len(words) == 1 and len(entries) == 1 and entries[0].kind == _KEYWORD
    return _Phrase(
        size=len(words),
        keywords=tuple(
            ((e.category, e.term), e.category, e.term, e.weight)
            for e in entries
            if e.kind == _KEYWORD
        ),
        negatives=tuple((e.category, e.term) for e in entries if e.kind == _NEGATIVE),
        area=areas[0] if areas else None,
        positive=any(e.kind == _KEYWORD for e in entries),
        simple=simple,
    )


def _trie(grouped: dict[tuple[str, ...], list[_Entry]]) -> dict[str, _Node]:
    """The trie of all terms, as its root: first word -> node."""
    tree: dict = {}  # word -> [phrase, subtree] while building
    for words, entries in grouped.items():
        level, node = tree, None
        for word in words:
            node = level.setdefault(word, [None, {}])
            level = node[1]
        node[0] = _phrase(words, entries)  # type: ignore[index]

    def freeze(level: dict) -> dict[str, _Node]:
        return {w: _Node(p, freeze(sub) if sub else None) for w, (p, sub) in level.items()}

    return freeze(tree)


@dataclass(frozen=True)
class CompiledRules:
    """A rule set prepared for fast matching. Build it with `compile_rules`."""

    rules: RuleSet
    normalizer: Normalizer
    # first word -> trie node of the terms starting with it
    index: dict[str, _Node]
    opd: dict[str, str]
    order: dict[str, int] = field(default_factory=dict)
    area_categories: tuple[str, ...] = ()
    area_weight: float = 0.0
    area_office: dict[str, str] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)  # per-category overrides
    bias: dict[str, float] = field(default_factory=dict)  # non-zero category biases
    places: Gazetteer | None = None  # the deployment's kecamatan and desa names, if imported


def compile_rules(rules: RuleSet, places: Gazetteer | None = None) -> CompiledRules:
    """Normalise every keyword the way messages are normalised and index them by first word."""
    areas = rules.settings.areas
    grouped = _read_as_messages(rules)
    area_office = _add_areas(grouped, areas) if areas is not None else {}
    return CompiledRules(
        rules=rules,
        normalizer=Normalizer(_vocabulary(grouped)),
        index=_trie(grouped),
        opd={code: rule.opd for code, rule in rules.categories.items()},
        order={code: i for i, code in enumerate(rules.categories)},
        area_categories=tuple(areas.categories) if areas else (),
        area_weight=areas.weight if areas else 0.0,
        area_office=area_office,
        thresholds={
            code: rule.threshold
            for code, rule in rules.categories.items()
            if rule.threshold is not None
        },
        bias={code: rule.bias for code, rule in rules.categories.items() if rule.bias},
        places=places,
    )


def _vocabulary(grouped: dict[tuple[str, ...], list[_Entry]]) -> set[str]:
    return {word for words in grouped for word in words if not word.startswith("<")}


def _read_as_messages(rules: RuleSet) -> dict[tuple[str, ...], list[_Entry]]:
    """The terms grouped by their words, a phrase's words read as a message's would be.

    A word that only a phrase brings into the rules ("kebanjiran" of "kami kebanjiran") is
    read as messages read it without the phrase: derived words by their stem (`banjir`),
    when that is a word of the rules. So adding a phrase never changes how its words count
    elsewhere: "kebanjiran" alone still counts for `banjir`.
    """
    areas = rules.settings.areas
    spelled = {w for s in areas.spellings() for w in base_tokens(s)} if areas else set()
    terms = _terms(rules)
    reading: dict[str, tuple[str, ...]] = {}
    grouped = _grouped_terms(terms, reading)
    for _ in range(3):  # a reading may make another one possible; settles at once in practice
        vocabulary = _vocabulary(grouped) | spelled
        single = {words[0] for words in grouped if len(words) == 1}
        phrase_words = {w for words in grouped if len(words) > 1 for w in words} - single
        found = {w: derived_reading(w, vocabulary) for w in phrase_words - reading.keys()}
        changed = {w: r for w, r in found.items() if r != (w,)}
        if not changed:
            break
        reading.update(changed)
        grouped = _grouped_terms(terms, reading)
    return grouped


def _terms(rules: RuleSet) -> list[tuple[tuple[str, ...], _Entry]]:
    """Every keyword and negative term with its normalised words, in the rules' order."""
    out: list[tuple[tuple[str, ...], _Entry]] = []
    for code, rule in rules.categories.items():
        terms = [(t, w, _KEYWORD) for t, w in rule.keywords.items()]
        terms += [(t, 0.0, _NEGATIVE) for t in rule.negative]
        for term, weight, kind in terms:
            words = tuple(base_tokens(term))
            if words:
                out.append((words, _Entry(code, term, weight, kind)))
    return out


def _grouped_terms(
    terms: list[tuple[tuple[str, ...], _Entry]], reading: dict[str, tuple[str, ...]]
) -> dict[tuple[str, ...], list[_Entry]]:
    """The terms by their words (a phrase's words as `reading` says, if it has them)."""
    grouped: dict[tuple[str, ...], list[_Entry]] = {}
    for words, entry in terms:
        if len(words) > 1 and reading:
            words = tuple(r for w in words for r in reading.get(w, (w,)))
        entries = grouped.setdefault(words, [])
        # Spellings that normalise alike ("jln rusak", "jalan rusak") count once.
        same = [e for e in entries if e.category == entry.category and e.kind == entry.kind]
        if same and same[0].weight >= entry.weight:
            continue
        entries[:] = [e for e in entries if e not in same]
        entries.append(entry)
    return grouped


def _add_areas(grouped: dict[tuple[str, ...], list[_Entry]], areas: AreaTable) -> dict[str, str]:
    """Index the spellings of the areas (once per spelling); returns each area's office."""
    for spelling, name in areas.spellings().items():
        words = tuple(base_tokens(spelling))
        if words and not any(e.kind == _AREA for e in grouped.get(words, ())):
            grouped.setdefault(words, []).append(_Entry(name, spelling, 0.0, _AREA))
    return {name: place.office for name, place in areas.places.items()}


def classify(text: str, rules: CompiledRules) -> Classification:
    """Decide intent, category and OPD for one message and say why."""
    words, raws = rules.normalizer.tokens(text)
    settings = rules.rules.settings
    found, cancelled, area = _scan(
        words, raws, rules.index, settings.overlap, landmark_positions(words), settings.decay
    )
    place = rules.places.locate(text) if rules.places is not None else None
    area = _official_area(place, rules, area)
    scores, matched = _evidence(found, cancelled, words, area, rules)
    normalized = " ".join(words)
    area_name = area[0] if area is not None else None
    intent = detect_intent(text, words, bool(scores))
    if intent != "complaint":
        return Classification.of(
            intent, None, None, 1.0, False, normalized, matched, scores, area_name, place
        )
    if not scores:
        fallback = settings.fallback_category
        return Classification.of(
            "complaint", fallback, rules.opd.get(fallback), 0.0, True, normalized, matched, scores,
            area_name, place,
        )  # fmt: skip
    best, confidence, second = _decide(scores, rules)
    needs_review = (
        confidence < rules.thresholds.get(best, settings.threshold)
        or confidence - second < settings.margin
        or best == settings.fallback_category
        or tied(scores, best)
    )
    opd = rules.opd.get(best)
    if area_name is not None and best in rules.area_categories:
        opd = rules.area_office.get(area_name, opd)
    return Classification.of(
        "complaint", best, opd, confidence, needs_review, normalized, matched, scores, area_name,
        place,
    )  # fmt: skip


def _official_area(
    place: Place | None, rules: CompiledRules, area: tuple[str, str] | None
) -> tuple[str, str] | None:
    """The area the official list names (it knows typos, prefixes and villages), else `area`."""
    if place is not None and place.kecamatan is not None:
        key = squash(place.kecamatan)
        if key in rules.area_office:
            return key, place.found_as
    return area


def _evidence(
    found: dict[tuple[str, str], Match],
    cancelled: dict[str, tuple[str, str]],
    words: list[str],
    area: tuple[str, str] | None,
    rules: CompiledRules,
) -> tuple[dict[str, float], tuple[Match, ...]]:
    """The categories' scores and the matches behind them (a cancelled one's as a negative)."""
    settings = rules.rules.settings
    if settings.repeats == "log" and found:
        found = weigh_repeats(found, words)
    if area is not None and rules.area_weight:
        for code in rules.area_categories:
            found[(code, AREA_TERM)] = Match(code, AREA_TERM, rules.area_weight, area[1])
    scores = _category_scores(found.values(), cancelled, settings.decay)
    if rules.bias:
        for code in scores.keys() & rules.bias.keys():
            scores[code] += rules.bias[code]
    matched = tuple(found.values())
    if cancelled:
        matched += tuple(
            Match(code, term, -scores.pop(code, 0.0), raw)
            for code, (term, raw) in cancelled.items()
        )
    return scores, matched


def _decide(scores: dict[str, float], rules: CompiledRules) -> tuple[str, float, float]:
    """The best category, its confidence and the runner-up's (0 where it is not used)."""
    settings = rules.rules.settings
    if settings.confidence == "lead":
        order = rules.order
        best = min(scores, key=lambda c: (-scores[c], order.get(c, 0)))  # ties: listed first
        confidence = lead_confidence(
            scores[best], runner_up(scores, best), settings.lead_slope, settings.lead_offset
        )
        return best, confidence, 0.0
    if len(scores) == 1:
        best = next(iter(scores))
        return (
            best,
            _single_confidence(scores[best], settings.temperature, settings.none_score),
            0.0,
        )
    return _top_two(scores, rules.order, settings.temperature, settings.none_score)


def tied(scores: dict[str, float], best: str) -> bool:
    """Another category scored as much as `best`: the order of the rules chose, so a human
    must (scores equal to within rounding count as equal)."""
    top = scores[best]
    return any(c != best and math.isclose(v, top, abs_tol=1e-9) for c, v in scores.items())


def with_category(result: Classification, category: str, rules: CompiledRules) -> Classification:
    """`result` for a complaint whose sender chose `category`: routed to its OPD (or to the
    area's office, as `classify` would), nobody left to ask. An unknown category changes
    nothing."""
    opd = rules.opd.get(category)
    if opd is None:
        return result
    if result.area is not None and category in rules.area_categories:
        opd = rules.area_office.get(result.area, opd)
    return replace(
        result, intent="complaint", category=category, opd=opd, confidence=1.0, needs_review=False
    )


def runner_up(scores: dict[str, float], best: str) -> float:
    """The highest score of a category other than `best` (0 when it is alone)."""
    return max((v for c, v in scores.items() if c != best), default=0.0)


def lead(best: float, runner_up: float) -> float:
    """The winner's lead over the runner-up, relative to sqrt(best).

    Divided by sqrt(best) because long reports pile up large scores for every category.
    """
    return (best - runner_up) / math.sqrt(best) if best > 0 else 0.0


def logistic(z: float) -> float:
    """1 / (1 + e^-z), without overflow for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def lead_confidence(best: float, runner_up: float, slope: float, offset: float) -> float:
    """P(right) as a logistic function of the lead; `slope` and `offset` are fitted on
    held-out decisions (`classifier.calibrate`)."""
    return logistic(slope * lead(best, runner_up) + offset)


def _category_scores(
    matches: Iterable[Match], cancelled: dict[str, tuple[str, str]], decay: float = DECAY
) -> dict[str, float]:
    """Strongest evidence first, each further term counting `decay` times the one before."""
    scores: dict[str, float] = {}
    several: dict[str, list[float]] = {}  # categories with more than one match: their weights
    for category, _term, weight, _found_as in matches:
        if category in scores:
            ws = several.get(category)
            if ws is None:
                several[category] = [scores[category], weight]
            else:
                ws.append(weight)
        elif category not in cancelled:
            scores[category] = weight
    for category, ws in several.items():
        ws.sort(reverse=True)
        total, factor = 0.0, 1.0
        for w in ws:
            total += w * factor
            factor *= decay
        scores[category] = total
    return scores


def confidences(
    scores: dict[str, float], temperature: float = TEMPERATURE, none_score: float = NONE_SCORE
) -> dict[str, float]:
    """Calibrated probability of each scored category (the rest goes to "none of them")."""
    top = max(scores.values(), default=0.0)
    exp = math.exp
    # Shift by the top score so large sums on long texts cannot overflow exp().
    exps = {c: exp((s - top) / temperature) for c, s in scores.items()}
    total = sum(exps.values()) + exp((none_score - top) / temperature)
    return {c: e / total for c, e in exps.items()}


def _single_confidence(score: float, temperature: float, none_score: float) -> float:
    """`confidences` for one scored category, without the dicts (same arithmetic)."""
    one = math.exp((score - score) / temperature)  # exp(0) = 1, exactly as in `confidences`
    return one / (one + math.exp((none_score - score) / temperature))


def _top_two(
    scores: dict[str, float], order: dict[str, int], temperature: float, none_score: float
) -> tuple[str, float, float]:
    """The best of several scored categories, its confidence and the runner-up's.

    Ties go to the category listed first; the arithmetic is that of `confidences`.
    """
    ranked = sorted(scores, key=lambda c: (-scores[c], order.get(c, 0)))
    best, second = ranked[0], ranked[1]
    exp = math.exp
    top = max(scores.values())
    total = sum([exp((s - top) / temperature) for s in scores.values()])
    total += exp((none_score - top) / temperature)
    return (
        best,
        exp((scores[best] - top) / temperature) / total,
        exp((scores[second] - top) / temperature) / total,
    )


def _scan(
    words: list[str],
    raws: list[str],
    index: dict[str, _Node],
    overlap: bool = False,
    landmarks: frozenset[int] = frozenset(),
    decay: float = DECAY,
) -> tuple[dict[tuple[str, str], Match], dict[str, tuple[str, str]], tuple[str, str] | None]:
    """Find keywords, negative terms and the first area named.

    Phrases hide or fold the shorter terms inside them (`_fold`); with `overlap` every keyword
    present counts. A term touching a landmark named as a location votes for nothing.
    """
    found: dict[tuple[str, str], Match] = {}
    cancelled: dict[str, tuple[str, str]] = {}
    area: tuple[str, str] | None = None
    n = len(words)
    pending: list[tuple[int, _Phrase]] = []  # (start, term) from the first phrase on: `_fold`
    # Only positions whose word starts some term are visited (most words start none).
    for i0 in compress(range(n), map(index.__contains__, words)):
        phrase, children = index[words[i0]]
        phrases: Sequence[_Phrase]
        if children is not None and i0 + 1 < n and words[i0 + 1] in children:
            phrases = _phrases_at(words, i0, phrase, children)
        elif phrase is None:
            continue
        elif phrase.simple and not pending:
            # The usual case: a one-word term with one keyword, no phrase before it.
            if landmarks and i0 in landmarks:
                continue
            key, category, term, weight = phrase.keywords[0]
            if key not in found:
                found[key] = _new_match(Match, (category, term, weight, raws[i0]))
            continue
        else:
            phrases = (phrase,)
        area = _take_phrases(phrases, i0, raws, landmarks, overlap, found, cancelled, area, pending)
    if pending:
        _fold(pending, raws, landmarks, found, decay)
    return found, cancelled, area


def _take_phrases(
    phrases: Sequence[_Phrase],
    start: int,
    raws: list[str],
    landmarks: frozenset[int],
    overlap: bool,
    found: dict[tuple[str, str], Match],
    cancelled: dict[str, tuple[str, str]],
    area: tuple[str, str] | None,
    pending: list[tuple[int, _Phrase]],
) -> tuple[str, str] | None:
    """Record the negatives and the area of the terms at `start`; their keywords go to `found`
    (with `overlap`) or to `pending` for `_fold`. Returns the first area named."""
    for phrase in phrases:
        size = phrase.size
        touches = bool(landmarks) and not landmarks.isdisjoint(range(start, start + size))
        if not touches:
            raw = raws[start] if size == 1 else " ".join(dict.fromkeys(raws[start : start + size]))
            for category, term in phrase.negatives:
                cancelled.setdefault(category, (term, raw))
        if area is None and phrase.area is not None:
            area = (phrase.area, raws[start] if size == 1 else " ".join(raws[start : start + size]))
        if overlap:
            if not touches:
                for key, category, term, weight in phrase.keywords:
                    if key not in found:
                        found[key] = _new_match(Match, (category, term, weight, raw))
        elif phrase.positive:
            pending.append((start, phrase))
    return area


def _fold(
    pending: list[tuple[int, _Phrase]],
    raws: list[str],
    landmarks: frozenset[int],
    found: dict[tuple[str, str], Match],
    decay: float,
) -> None:
    """Add the keywords of `pending` occurrences (leftmost, longest first) to `found`.

    A keyword inside a longer phrase with no keyword of its category is hidden; one inside a
    phrase of its own category is folded into the outermost such phrase (`_weigh_folded`), so
    a phrase added to a category never lowers its score ("tps penuh" beside a stronger "tps"
    counts as "tps" did) and a phrase stronger than its words counts as the phrase.
    """
    spans = [(k, i0, i0 + p.size, p) for k, (i0, p) in enumerate(pending) if p.size > 1]
    folded: dict[tuple[int, str], list[float]] = {}  # (occurrence, category) -> its weights
    owners: dict[tuple[int, str], tuple[str, str]] = {}  # the same -> its key in `found`
    used = set(found)  # every keyword counts once
    for k, (i0, phrase) in enumerate(pending):
        end = i0 + phrase.size
        if landmarks and not landmarks.isdisjoint(range(i0, end)):
            continue
        containers = [(j, p) for j, s, e, p in spans if s <= i0 and end <= e > s + phrase.size]
        raw = raws[i0] if phrase.size == 1 else " ".join(dict.fromkeys(raws[i0:end]))
        for key, category, term, weight in phrase.keywords:
            if key in used:
                continue
            if any(all(c != category for _, c, _, _ in p.keywords) for _, p in containers):
                continue  # hidden by a phrase of another category
            used.add(key)
            owner = next(((j, category) for j, _ in containers if (j, category) in folded), None)
            if owner is not None:
                folded[owner].append(weight)
                continue
            found[key] = _new_match(Match, (category, term, weight, raw))
            if phrase.size > 1:
                folded[(k, category)] = [weight]
                owners[(k, category)] = key
    _weigh_folded(folded, owners, found, decay)


def _weigh_folded(
    folded: dict[tuple[int, str], list[float]],
    owners: dict[tuple[int, str], tuple[str, str]],
    found: dict[tuple[str, str], Match],
    decay: float,
) -> None:
    """A phrase match with terms folded in weighs its own weight or the decayed sum of theirs
    (strongest first), whichever is more: never less than counting those terms apart."""
    for slot, (own, *inner) in folded.items():
        if inner:
            inner.sort(reverse=True)
            total = max(own, sum(w * decay**i for i, w in enumerate(inner)))
            key = owners[slot]
            found[key] = found[key]._replace(weight=total)


def _phrases_at(
    words: list[str], start: int, phrase: _Phrase | None, children: dict[str, _Node]
) -> list[_Phrase]:
    """Every term found at `start` by walking the trie, longest first."""
    phrases = [phrase] if phrase is not None else []
    for i in range(start + 1, len(words)):
        node = children.get(words[i])
        if node is None:
            break
        phrase, next_children = node
        if phrase is not None:
            phrases.append(phrase)
        if next_children is None:
            break
        children = next_children
    phrases.reverse()
    return phrases


# Match(...) without the Python-level __new__ of a NamedTuple: the same tuple, built faster.
_new_match = tuple.__new__
