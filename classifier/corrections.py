"""Keyword changes that staff corrections call for (`aduan rules suggest --from-history`).

Each correction is a labelled example: a complaint's text and the category staff gave it.
Candidate changes, per category:

- *add* a word or a two-word term (as `classifier.suggest.features` reads a text: stop words
  left out; place names too) found in at least `min_count` corrected texts of a category the
  rules missed, and mostly (`min_precision`) in texts of that category; weighted like the
  category's own keywords (their median weight, or twice that when once is not enough); a
  term other categories' keywords contain is tried after those none does;
- *remove* a keyword of the category the rules chose that matched in at least `min_count`
  texts staff moved away from it, and in fewer texts the rules routed right with it (among
  the corrections and the guard sets).

Candidates are tried one at a time, the best supported first. One is kept only when it makes
more examples right (or as many, more of them routed without review), and never makes a guard
set less accurate: corrections are a sample of mistakes only, so without the complaints the
rules got right (those resolved without a correction, a labelled file) the changes would strip
the keywords that route most complaints well. Pure: no I/O.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from classifier.engine import CompiledRules, classify, compile_rules
from classifier.evaluate import Dataset, Example, Report, evaluate, prediction
from classifier.places import Gazetteer
from classifier.result import Classification
from classifier.rules import RuleSet
from classifier.suggest import features


@dataclass(frozen=True)
class Change:
    """One keyword change: `weight` None removes the term from the category."""

    category: str
    term: str
    weight: float | None
    support: int  # the corrected texts behind it


@dataclass(frozen=True)
class CorrectionOptions:
    min_count: int = 2
    min_precision: float = 0.8
    max_trials: int = 300  # candidates tried, the best supported first


@dataclass(frozen=True)
class Guarded:
    """A guard set's figures before and after the changes."""

    name: str
    before: Report
    after: Report


@dataclass(frozen=True)
class Proposal:
    """The changes kept, the rules they give, and the figures before and after."""

    changes: tuple[Change, ...]
    rules: RuleSet
    before: Report
    after: Report
    guards: tuple[Guarded, ...] = ()


def propose(
    examples: Sequence[Example],
    rules: RuleSet,
    places: Gazetteer | None = None,
    guards: Mapping[str, Dataset] | None = None,
    options: CorrectionOptions | None = None,
) -> Proposal:
    """The keyword changes the corrections support (see the module's docstring); `guards`,
    by name, are the labelled sets no change may make less accurate."""
    opts = options or CorrectionOptions()
    history = Dataset(tuple(examples), "category")
    sets = {name: data for name, data in (guards or {}).items() if data.examples}
    current, kept = rules, []
    compiled = compile_rules(current, places)
    report = evaluate(history, compiled)
    guarded = {name: evaluate(data, compiled) for name, data in sets.items()}
    before, guards_before = report, dict(guarded)
    known = tuple(ex for data in sets.values() if data.kind == "category" for ex in data.examples)
    found = candidates(history.examples, rules, places, opts, known)
    for candidate in found[: opts.max_trials]:
        for change in _weighings(candidate, current):
            trial = apply_change(current, change)
            compiled = compile_rules(trial, places)
            tried = evaluate(history, compiled)
            if _standing(tried) <= _standing(report):
                continue
            tried_guards = _unharmed(sets, guarded, compiled)
            if tried_guards is None:
                continue
            current, report, guarded = trial, tried, tried_guards
            kept.append(change)
            break
    figures = tuple(Guarded(name, guards_before[name], guarded[name]) for name in sets)
    return Proposal(tuple(kept), current, before, report, figures)


def _unharmed(
    sets: Mapping[str, Dataset], reports: Mapping[str, Report], rules: CompiledRules
) -> dict[str, Report] | None:
    """Each guard set's figures under `rules`; None as soon as one is less accurate."""
    tried: dict[str, Report] = {}
    for name, data in sets.items():
        tried[name] = evaluate(data, rules)
        if tried[name].accuracy < reports[name].accuracy:
            return None
    return tried


def _standing(report: Report) -> tuple[int, int]:
    """Examples right, then examples right and routed without review."""
    routed_right = report.coverage * report.auto_precision * report.n
    return round(report.accuracy * report.n), round(routed_right)


def candidates(
    examples: Sequence[Example],
    rules: RuleSet,
    places: Gazetteer | None,
    opts: CorrectionOptions,
    known: Sequence[Example] = (),
) -> list[Change]:
    """Additions and removals with their support, the best supported first (weights unset);
    `known`, labelled texts beside the corrections, count in the additions' precision and the
    keywords' right votes."""
    compiled = compile_rules(rules, places)
    results = [classify(ex.text, compiled) for ex in examples]
    wrong = [
        ex for ex, r in zip(examples, results, strict=True) if prediction(r, "category") != ex.label
    ]
    found = _additions(wrong, [*examples, *known], rules, places, opts)
    found += _removals(
        list(zip(examples, results, strict=True)), _classified(known, compiled), rules, opts
    )
    return sorted(found, key=lambda c: _rank(c, rules))


def _votes(result: Classification, category: str) -> set[tuple[str, str]]:
    return {(m.category, m.term) for m in result.matched if m.category == category}


def _classified(
    examples: Sequence[Example], rules: CompiledRules
) -> list[tuple[Example, Classification]]:
    return [(ex, classify(ex.text, rules)) for ex in examples]


def _additions(
    wrong: Sequence[Example],
    labelled: Sequence[Example],
    rules: RuleSet,
    places: Gazetteer | None,
    opts: CorrectionOptions,
) -> list[Change]:
    """Terms of the texts the rules missed, frequent there and mostly of their label."""
    missed = Counter((ex.label, t) for ex in wrong for t in _terms(ex.text, places))
    wanted = {term for _, term in missed}
    having: Counter[tuple[str, str]] = Counter()
    anywhere: Counter[str] = Counter()
    for ex in labelled:
        for term in _terms(ex.text, places) & wanted:
            having[(ex.label, term)] += 1
            anywhere[term] += 1
    return [
        Change(label, term, 0.0, n)
        for (label, term), n in missed.items()
        if label in rules.categories
        and n >= opts.min_count
        and term not in rules.categories[label].keywords
        and having[(label, term)] / anywhere[term] >= opts.min_precision
    ]


def _removals(
    corrected: Sequence[tuple[Example, Classification]],
    known: Sequence[tuple[Example, Classification]],
    rules: RuleSet,
    opts: CorrectionOptions,
) -> list[Change]:
    """Keywords of the chosen category that voted wrong in corrections more often than they
    voted right in corrections and known texts."""
    wrong: Counter[tuple[str, str]] = Counter()
    right: Counter[tuple[str, str]] = Counter()
    for ex, result in corrected:
        guess = prediction(result, "category")
        (right if guess == ex.label else wrong).update(_votes(result, guess))
    for ex, result in known:
        if prediction(result, "category") == ex.label:
            right.update(_votes(result, ex.label))
    return [
        Change(category, term, None, n)
        for (category, term), n in wrong.items()
        if category in rules.categories
        and term in rules.categories[category].keywords
        and n >= opts.min_count
        and right[(category, term)] < n
    ]


def _rank(change: Change, rules: RuleSet) -> tuple[int, bool, int, int, str, str]:
    """Best supported first; of those, additions before removals, then the terms no other
    category's keywords contain ('liar' is in 'parkir liar' and 'tps liar'), single words
    (more tolerant of how people write) before pairs."""
    words = f" {change.term} "
    shared = sum(
        any(words in f" {keyword} " for keyword in rule.keywords)
        for code, rule in rules.categories.items()
        if code != change.category
    )
    return (
        -change.support,
        change.weight is None,
        shared,
        change.term.count(" "),
        change.category,
        change.term,
    )


def _terms(text: str, places: Gazetteer | None) -> set[str]:
    found = features(text)
    if places is None:
        return found
    return {t for t in found if places.locate(t) is None}


def _weighings(candidate: Change, rules: RuleSet) -> list[Change]:
    """A removal as it is; an addition at the category's median weight, then twice that."""
    if candidate.weight is None:
        return [candidate]
    weights = list(rules.categories[candidate.category].keywords.values())
    base = statistics.median(weights) if weights else 1.0
    return [
        Change(candidate.category, candidate.term, round(w, 2), candidate.support)
        for w in (base, 2 * base)
    ]


def apply_change(rules: RuleSet, change: Change) -> RuleSet:
    """`rules` with one keyword added, re-weighted or removed."""
    category = rules.categories[change.category]
    keywords = dict(category.keywords)
    if change.weight is None:
        keywords.pop(change.term, None)
    else:
        keywords[change.term] = change.weight
    categories = {
        **rules.categories,
        change.category: category.model_copy(update={"keywords": keywords}),
    }
    return rules.model_copy(update={"categories": categories})
