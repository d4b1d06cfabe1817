"""Propose weighted keywords per label from a labelled history, for an admin to review.

The statistic is the log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi and
Quinn, 2008, "Fightin' Words"), one label against all the others, on document frequencies of
normalised unigrams and bigrams. Its z-score rewards terms that are both distinctive and
frequent enough to trust; the prior (the term's frequency in the whole history) keeps rare
terms from looking distinctive by chance. The keyword weight is the (scaled) log-odds ratio.

Selection: a term becomes a keyword when it is supported (in at least `min_count` reports of the
label), distinctive (z >= `min_z`) and precise enough (at least `min_precision` of the reports
containing it carry the label), strongest z first, at most `top` per label.

Linear method (`suggest_linear`): the weights are learned discriminatively instead, by a
multinomial logistic regression on the same binary features. Softmax is unchanged when a
constant is added to one feature's weight in every label, so each feature's weights are shifted
to make the smallest zero: all weights become >= 0 and a label's score is the sum of the weights
of its keywords found, plus its `bias` (engine `decay: 1.0`, i.e. no halving, and
`overlap: true`, phrases not consuming their words). The model is trained on idf-weighted,
length-normalised features like a TF-IDF classifier; the idf is folded into the weights and the
length normalisation dropped at run time (it scales all labels' scores alike). The top `top`
positive weights per label become its keywords; the rest (the smallest) are dropped.

Areas: given an area table's spellings, place names are never proposed as keywords (they say
where, not what); instead "an area is named" becomes one feature, `<area>`, whose log-odds per
label tells how much naming a kecamatan points to the labels routed by area.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

import yaml
from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

from classifier.evaluate import NOT_COMPLAINT, Example
from classifier.normalize import base_tokens
from classifier.rules import AreaTable, RuleSet


@dataclass(frozen=True)
class Suggestion:
    """One proposed keyword for one label."""

    label: str
    term: str
    weight: float
    z: float
    count: int  # documents of this label containing the term


@dataclass(frozen=True)
class SuggestOptions:
    """Knobs of the suggestion; the defaults suit a few hundred labelled complaints."""

    min_count: int = 3
    top: int = 100
    min_z: float = 1.0  # one standard error: a keyword is a hint, the admin reviews it
    prior_share: float = 0.4  # alpha_0, the prior's pseudo-documents, per labelled document
    scale: float = 2.0  # keyword weight per unit of log-odds ratio (hand-written rules use 1-5)
    max_weight: float = 5.0
    bigrams: bool = True
    min_precision: float = 0.0  # share of the reports containing the term that carry the label


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Words that never make a keyword: PySastrawi's stop words plus the boilerplate of
    reports and chats (`classifier/data/boilerplate.txt`: greetings, thanks, "mohon", the
    portal's name and web address, forms of address)."""
    return frozenset(StopWordRemoverFactory().get_stop_words()) | boilerplate()


@lru_cache(maxsize=1)
def boilerplate() -> frozenset[str]:
    """The shipped boilerplate list, one word a line (`#` starts a comment)."""
    text = resources.files("classifier").joinpath("data", "boilerplate.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


AREA_TERM = "<area>"


def features(
    text: str, *, bigrams: bool = True, areas: Mapping[str, str] | None = None
) -> set[str]:
    """Distinct unigrams and bigrams of the normalised text, stop words left out.

    With `areas` (spelling -> area name, as `AreaTable.spellings()`), place names are replaced
    by the single feature `<area>`.
    """
    return set(term_counts(text, bigrams=bigrams, areas=areas))


def term_counts(
    text: str, *, bigrams: bool = True, areas: Mapping[str, str] | None = None
) -> dict[str, int]:
    """How often each feature of `features` occurs in the text (`<area>` counts once)."""
    if areas:
        return dict(_area_features(text, bigrams, _area_words(tuple(sorted(areas)))))
    return dict(_features(text, bigrams))


@lru_cache(maxsize=16384)
def _features(text: str, bigrams: bool) -> tuple[tuple[str, int], ...]:
    return tuple(_terms(base_tokens(text), bigrams).items())


@lru_cache(maxsize=16384)
def _area_features(
    text: str, bigrams: bool, spellings: tuple[frozenset[str], frozenset[tuple[str, str]]]
) -> tuple[tuple[str, int], ...]:
    single, double = spellings
    words = base_tokens(text)
    kept: list[str] = []
    named = False
    i = 0
    while i < len(words):
        if i + 1 < len(words) and (words[i], words[i + 1]) in double:
            named, i = True, i + 2
            kept.append("")  # a gap, so no bigram spans the place name
            continue
        if words[i] in single:
            named = True
            kept.append("")
        else:
            kept.append(words[i])
        i += 1
    terms = _terms(kept, bigrams)
    if named:
        terms[AREA_TERM] = 1
    return tuple(terms.items())


@lru_cache(maxsize=8)
def _area_words(spellings: tuple[str, ...]) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    single: set[str] = set()
    double: set[tuple[str, str]] = set()
    for spelling in spellings:
        words = base_tokens(spelling)
        if len(words) == 1:
            single.add(words[0])
        elif len(words) == 2:
            double.add((words[0], words[1]))
    return frozenset(single), frozenset(double)


def _terms(words: Sequence[str], bigrams: bool) -> Counter[str]:
    stops = stop_words()
    terms = Counter(w for w in words if w not in stops and len(w) > 1)
    if bigrams:
        terms.update(
            f"{a} {b}"
            for a, b in itertools.pairwise(words)
            if a not in stops and b not in stops and len(a) > 1 and len(b) > 1
        )
    return terms


def suggest(
    examples: Sequence[Example],
    options: SuggestOptions | None = None,
    *,
    areas: Mapping[str, str] | None = None,
) -> dict[str, list[Suggestion]]:
    """Top keywords per label, strongest first. `not_complaint` rows are not a category.

    With `areas`, the label's `<area>` suggestion (if any) says how much naming an area points
    to it; see `area_weight`.
    """
    opts = options or SuggestOptions()
    docs = [(ex.label, features(ex.text, bigrams=opts.bigrams, areas=areas)) for ex in examples]
    docs = [(label, terms) for label, terms in docs if label != NOT_COMPLAINT]
    total = Counter(term for _, terms in docs for term in terms)
    n_docs = len(docs)
    by_label: dict[str, Counter[str]] = {}
    label_docs: Counter[str] = Counter()
    for label, terms in docs:
        by_label.setdefault(label, Counter()).update(terms)
        label_docs[label] += 1
    out: dict[str, list[Suggestion]] = {}
    for label in sorted(by_label):
        counts = by_label[label]
        n_in, n_out = label_docs[label], n_docs - label_docs[label]
        found = []
        for term, y_in in counts.items():
            if y_in < opts.min_count or y_in < opts.min_precision * total[term]:
                continue
            delta, z = _log_odds(y_in, total[term] - y_in, n_in, n_out, total[term] / n_docs, opts)
            if z >= opts.min_z:
                weight = min(opts.max_weight, round(delta * opts.scale, 1))
                found.append(Suggestion(label, term, max(weight, 0.1), z, y_in))
        found.sort(key=lambda s: (-s.z, s.term))
        out[label] = _drop_redundant(found)[: opts.top]
    return out


def _log_odds(
    y_in: int, y_out: int, n_in: int, n_out: int, share: float, opts: SuggestOptions
) -> tuple[float, float]:
    """Monroe et al.'s z-score of delta, the difference of smoothed log-odds in vs out."""
    alpha0 = opts.prior_share * (n_in + n_out)
    alpha = alpha0 * share
    odds_in = (y_in + alpha) / (n_in + alpha0 - y_in - alpha)
    odds_out = (y_out + alpha) / (n_out + alpha0 - y_out - alpha)
    delta = math.log(odds_in) - math.log(odds_out)
    variance = 1.0 / (y_in + alpha) + 1.0 / (y_out + alpha)
    return delta, delta / math.sqrt(variance)


def _drop_redundant(found: list[Suggestion]) -> list[Suggestion]:
    """A bigram whose words are already keywords of the label adds nothing unless stronger."""
    kept: list[Suggestion] = []
    weights = {s.term: s.weight for s in found}
    for item in found:
        parts = item.term.split()
        if len(parts) == 2 and all(weights.get(p, 0) >= item.weight for p in parts):
            continue
        kept.append(item)
    return kept


def area_weight(suggestions: Mapping[str, list[Suggestion]], label: str) -> float:
    """The weight suggested for "an area is named" as evidence for `label` (0 if none)."""
    return next((s.weight for s in suggestions.get(label, ()) if s.term == AREA_TERM), 0.0)


_LOG_ODDS_INTRO = (
    "# Draft keywords proposed by `aduan rules suggest` (log-odds with an informative",
    "# Dirichlet prior). Review every term before importing: drop place names, people and",
    "# anything that only describes where, not what.",
)
_LEARNED_INTRO = (
    "# Draft rules proposed by `aduan rules suggest --method linear` (keyword weights learned",
    "# by a linear model). Review before importing: drop place names, people and anything that",
    "# only says where, not what. Keep the classifier settings: the weights assume them.",
)


def to_yaml(
    suggestions: dict[str, list[Suggestion]],
    *,
    opd_of: dict[str, str] | None = None,
    names: dict[str, str] | None = None,
    bias: Mapping[str, float] | None = None,
    settings: Mapping[str, object] | None = None,
    header: Sequence[str] = (),
    fallback: tuple[str, str] | None = None,
) -> str:
    """A `categories:` draft shaped like config.yaml, with the evidence as comments.

    Learned (linear) drafts pass their `bias` per label and the `settings` their weights assume,
    written as a `classifier:` block that `aduan rules import` applies with the keywords, and
    a `fallback` (category code, OPD) so the draft is a complete rule set (`--replace`).
    """
    learned = bias is not None
    lines = list(_LEARNED_INTRO if learned else _LOG_ODDS_INTRO)
    lines += [f"# {line}" for line in header]
    if settings:
        lines.append("classifier:")
        lines += [f"  {key}: {_yaml_value(value)}" for key, value in settings.items()]
    lines.append("categories:")
    for label, items in suggestions.items():
        code = category_code(label)
        opd = (opd_of or {}).get(label, label if label.isupper() else label.upper())
        name = (names or {}).get(label, label)
        lines += [
            f"  {code}:",
            f"    opd: {opd}",
            f"    name: {{id: {yaml_scalar(name)}, en: {yaml_scalar(name)}}}",
        ]
        if bias and bias.get(label):
            lines.append(f"    bias: {bias[label]:g}")
        lines.append("    keywords:")
        header_line = len(lines) - 1
        for item in items:
            if item.term == AREA_TERM:
                lines.append(
                    f"      # an area named: weight {item.weight:g} (in {item.count} reports)"
                    " -> classifier.areas.weight"
                )
                continue
            evidence = f"z={item.z:.1f}, " if not learned else ""
            lines.append(
                f"      {yaml_scalar(item.term)}: {item.weight:g}"
                f"  # {evidence}in {item.count} reports"
            )
        if not any(item.term != AREA_TERM for item in items):
            lines[header_line] = "    keywords: {}"
    if fallback:
        code, opd = fallback
        lines += [
            f"  {code}:  # where reports that match nothing go (classifier.fallback_category)",
            f"    opd: {opd}",
            "    name: {id: Lainnya, en: Other}",
            "    keywords: {}",
        ]
    return "\n".join(lines) + "\n"


def _yaml_value(value: object) -> str:
    return yaml_scalar(value) if isinstance(value, str) else json.dumps(value)


def to_categories(
    suggestions: dict[str, list[Suggestion]],
    *,
    opd_of: dict[str, str] | None = None,
    bias: Mapping[str, float] | None = None,
) -> dict[str, dict[str, object]]:
    """The draft as plain data, ready for `RuleSet(categories=...)` (with `bias` per label)."""
    out: dict[str, dict[str, object]] = {}
    for label, items in suggestions.items():
        category: dict[str, object] = {
            "opd": (opd_of or {}).get(label, label if label.isupper() else label.upper()),
            "name": {"id": label, "en": label},
            "keywords": {s.term: s.weight for s in items if s.term != AREA_TERM},
        }
        if bias and bias.get(label):
            category["bias"] = bias[label]
        out[category_code(label)] = category
    return out


def category_code(label: str) -> str:
    """Category code for a label: OPD codes become lowercase codes (DPUTR -> dputr)."""
    return label.lower()


def yaml_scalar(value: str) -> str:
    """`value` as a YAML scalar usable inside a flow mapping, quoted only when it has to be."""
    dumped = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True)
    dumped = dumped.strip().removesuffix("...").strip()
    if any(ch in dumped for ch in ",[]{}") and not dumped.startswith(("'", '"')):
        return json.dumps(value, ensure_ascii=False)
    return dumped


def labels_of(examples: Iterable[Example]) -> Counter[str]:
    """How many examples each label has."""
    return Counter(ex.label for ex in examples)


@dataclass(frozen=True)
class LinearOptions:
    """Knobs of `suggest_linear`: keywords per label, regularisation, feature support."""

    top: int = 1000
    c: float = 10.0  # inverse L2 strength of the model
    model: str = "logreg"  # or "svm" (one-vs-rest linear SVM)
    # Weigh each label's reports by (n / (labels * n_label)) ** balance: 0 weighs every report
    # alike, 1 is scikit-learn's "balanced" (small OPDs count as much as the big ones).
    balance: float = 0.0
    # Keep only the evidence FOR each label (positive coefficients), instead of shifting every
    # term's weights so the smallest is zero: ~10x fewer keywords, each pointing at its label.
    positive_only: bool = False
    # Train on idf-weighted, length-normalised features (as TF-IDF does); the idf is folded
    # into the keyword weights, so a report's score is still a plain sum over its keywords.
    idf: bool = True
    min_count: int = 2  # reports (any label) a term must appear in to be a feature
    min_label_count: int = 1  # reports of the label a keyword must appear in to be kept
    bigrams: bool = True
    # A term repeated n times in a report counts 1 + ln(n) times (sublinear term frequency);
    # the rules must then be run with `settings.repeats: log`, as `linear_settings` says.
    repeats: bool = False
    digits: int = 3  # weights are rounded to this many decimals
    # With `top` keywords per label: fit once, keep each label's `top` strongest terms, then
    # fit each label's model again on those terms alone (its weights then make sense without
    # the terms dropped), instead of cutting the first model's weights.
    refit: bool = False
    refit_from: int = 0  # refit first on this many terms per label, then on `top` (0: at once)
    # Words reduced to their formal stem before learning (`kebanjiran` -> `banjir`), so one
    # keyword covers its derived forms: the engine maps an unknown word to its stem when the
    # rules know the stem.
    stem: bool = False


@dataclass(frozen=True)
class LinearDraft:
    """Keywords per label (weight = shifted coefficient) and a bias per label."""

    keywords: dict[str, list[Suggestion]]
    bias: dict[str, float]


def suggest_linear(
    examples: Sequence[Example],
    options: LinearOptions | None = None,
    *,
    areas: Mapping[str, str] | None = None,
) -> LinearDraft:
    """Keyword weights from a multinomial logistic regression (needs scikit-learn).

    `Suggestion.z` holds the weight too (there is no z-score); `count` is as in `suggest`.
    """
    try:
        import numpy as np
        from scipy.sparse import csr_matrix
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import normalize
        from sklearn.svm import LinearSVC
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "the linear method needs scikit-learn: pip install -e '.[learn]'"
        ) from exc

    opts = options or LinearOptions()
    docs = [(ex.label, term_counts(ex.text, bigrams=opts.bigrams, areas=areas)) for ex in examples]
    docs = [(label, terms) for label, terms in docs if label != NOT_COMPLAINT]
    if opts.stem:
        docs = [(label, _stemmed(terms)) for label, terms in docs]
    df = Counter(term for _, terms in docs for term in terms)
    vocabulary = sorted(t for t, n in df.items() if n >= opts.min_count)
    column = {term: j for j, term in enumerate(vocabulary)}
    labels = sorted({label for label, _ in docs})
    if len(labels) < 2 or not vocabulary:
        return LinearDraft({label: [] for label in labels}, {label: 0.0 for label in labels})
    rows, cols, values = [], [], []
    for i, (_, terms) in enumerate(docs):
        for term, n in terms.items():
            j = column.get(term)
            if j is not None:
                rows.append(i)
                cols.append(j)
                values.append(1.0 + math.log(n) if opts.repeats else 1.0)
    x = csr_matrix((values, (rows, cols)), shape=(len(docs), len(vocabulary)))
    y = [label for label, _ in docs]
    if opts.idf:
        idf = np.log((1 + len(docs)) / (1 + np.asarray((x > 0).sum(axis=0)).ravel())) + 1
        x = normalize(x.multiply(idf).tocsr())
    sizes = Counter(y)
    weights = {
        label: (len(y) / (len(sizes) * size)) ** opts.balance for label, size in sizes.items()
    }
    if opts.model == "svm":
        model = LinearSVC(C=opts.c, class_weight=weights, random_state=0)
    elif opts.model == "logreg":
        model = LogisticRegression(C=opts.c, max_iter=5000, class_weight=weights)
    else:
        raise ValueError(f"unknown model {opts.model!r}")
    model.fit(x, y)
    coef, intercept = model.coef_, model.intercept_
    if opts.refit and opts.model == "svm" and coef.shape[0] > 1:
        classes_ = [str(c) for c in model.classes_]
        present = (x > 0).astype(np.float64)
        support = np.vstack(
            [np.asarray(present[np.array(y) == c].sum(axis=0)).ravel() for c in classes_]
        )
        coef = np.where(support >= opts.min_label_count, coef, 0.0)
        for size in (opts.refit_from, opts.top) if opts.refit_from > opts.top else (opts.top,):
            coef, intercept = _refit(x, y, classes_, coef, weights, replace(opts, top=size))
    if opts.idf:
        coef = coef * idf
    if coef.shape[0] == 1:  # two labels: one score, the first label's is zero
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([[0.0], intercept])
    coef = np.maximum(coef, 0.0) if opts.positive_only else coef - coef.min(axis=0, keepdims=True)
    intercept = intercept - intercept.min()
    classes = [str(c) for c in model.classes_]
    counts: dict[str, Counter[str]] = {label: Counter() for label in classes}
    for label, terms in docs:
        counts[label].update(terms.keys())
    out: dict[str, list[Suggestion]] = {}
    for k, label in enumerate(classes):
        found: list[Suggestion] = []
        for j in np.argsort(-coef[k], kind="stable"):
            weight = round(float(coef[k, j]), opts.digits)
            if weight <= 0 or len(found) == opts.top:
                break
            term = vocabulary[j]
            if counts[label][term] >= opts.min_label_count:
                found.append(Suggestion(label, term, weight, weight, counts[label][term]))
        out[label] = found
    bias = {
        label: round(float(b), opts.digits) for label, b in zip(classes, intercept, strict=True)
    }
    return LinearDraft(out, bias)


def _stemmed(terms: Mapping[str, int]) -> dict[str, int]:
    """`terms` with every word reduced to its formal stem (counts of merged terms added)."""
    out: Counter[str] = Counter()
    for term, n in terms.items():
        out[term if term.startswith("<") else " ".join(map(_stem, term.split()))] += n
    return dict(out)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    from classifier.normalize import stem

    root = stem(word)
    return root if len(root) > 1 and root not in stop_words() else word


def _refit(
    x: object,
    y: list[str],
    classes: list[str],
    coef: object,
    weights: Mapping[str, float],
    opts: LinearOptions,
) -> tuple[object, object]:
    """One-vs-rest SVMs fitted again, each on its label's `opts.top` strongest terms only."""
    import numpy as np
    from sklearn.svm import LinearSVC

    coef = np.asarray(coef)
    sample_weight = np.array([weights[label] for label in y])
    labels = np.array(y)
    new_coef = np.zeros_like(coef)
    new_intercept = np.zeros(len(classes))
    for k, label in enumerate(classes):
        order = np.argsort(-coef[k], kind="stable")
        keep = [j for j in order[: opts.top] if coef[k, j] > 0]
        if not keep:
            new_intercept[k] = -1.0
            continue
        model = LinearSVC(C=opts.c, random_state=0)
        model.fit(x[:, keep], labels == label, sample_weight=sample_weight)  # type: ignore[index]
        new_coef[k, keep] = model.coef_[0]
        new_intercept[k] = model.intercept_[0]
    return new_coef, new_intercept


def linear_settings(options: LinearOptions) -> dict[str, object]:
    """The scoring settings that learned weights assume: every keyword adds its weight."""
    return {
        "decay": 1.0,
        "overlap": True,
        "repeats": "log" if options.repeats else "once",
        "none_score": 0.0,
    }


def draft_ruleset(
    keywords: dict[str, list[Suggestion]],
    settings: Mapping[str, object],
    *,
    bias: Mapping[str, float] | None = None,
    areas: AreaTable | None = None,
    area_label: str | None = None,
    fallback: str = "lainnya",
    fallback_opd: str = "TRIAGE",
) -> RuleSet:
    """A rule set from suggested keywords: one category per label, plus the fallback.

    With an area table and `area_label`, that label's category routes by area and naming an
    area weighs what the history says it weighs (`area_weight`).
    """
    categories: dict[str, dict[str, object]] = dict(to_categories(keywords, bias=bias))
    categories[fallback] = {"opd": fallback_opd, "name": {"id": "Lainnya"}, "keywords": {}}
    data: dict[str, object] = {**settings, "fallback_category": fallback}
    code = category_code(area_label) if area_label else None
    if areas is not None and code in categories:
        table = areas.model_dump()
        table.update(categories=[code], weight=area_weight(keywords, area_label or ""))
        data["areas"] = table
    return RuleSet(categories=categories, settings=data)
