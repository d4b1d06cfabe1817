"""Routing quality: suggested rules vs a TF-IDF + linear baseline, and the shipped rules.

1. Kabupaten Bandung (lapor-bandung/dev.csv), 5-fold stratified cross-validation: on each
   split the rules are suggested from four folds (`classifier.suggest`, no hand curation) and
   scored on the fifth; TF-IDF + LinearSVC and TF-IDF + LogisticRegression are trained on the
   same four folds in the same run. Reported: OPD accuracy, macro-F1, and for the rules the
   coverage (share routed without review) and the precision on that share.
   - `rules`: default suggestion options and settings (threshold 0.5, margin 0.1), no areas.
   - `rules_linear`: keyword weights learned discriminatively, as `aduan rules suggest
     --method linear` does (`classifier.learn`: a class-weighted linear SVM on unigram/bigram
     counts, only each label's positive evidence kept, repeats counted 1 + ln n, decay 1.0,
     overlap on, with the area table); the options among `LINEAR_CANDIDATES`, then the
     temperature and one confidence threshold (`classifier.calibrate`, for >= 85% precision)
     chosen by 4-fold CV inside the four training folds.
   - `rules_linear_places`: the same rules with Kabupaten Bandung's official area list
     (idn-area-data: kecamatan and desa names, prefixes, typos); for both, how often the right
     kecamatan is named for the reports that went to a kecamatan office.
   - `rules_calibrated`: the area table of examples/kab-bandung/config.yaml (31 kecamatan),
     suggestion options / decay chosen by 4-fold CV inside the four training folds, and
     per-category confidence thresholds chosen on those inner folds so that the inner
     precision is >= 85%. The scored fold is never used for any choice.
2. The shipped default rules (config.yaml) on chat-dev.jsonl and on the chat messages written
   apart from it (tests/classifier/data/fresh_chat.jsonl).

Run from the repository root:  .venv/bin/python -m benchmarks.routing_quality
(benchmark-only dependencies: scikit-learn, pyahocorasick — `pip install -e .[bench]`).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from aduan.areas.source import regency_areas
from aduan.rules.datasets import load_dataset
from classifier import CompiledRules, RuleSet, classify, compile_rules
from classifier.calibrate import Calibration, Decision, choose, out_of_fold
from classifier.engine import lead, runner_up
from classifier.evaluate import Dataset, Example, evaluate, prediction, score
from classifier.learn import LEARNED, MAX_TERMS, READABLE, cut_for, learned_ruleset
from classifier.places import Gazetteer
from classifier.rules import AreaTable
from classifier.suggest import (
    LinearOptions,
    SuggestOptions,
    area_weight,
    suggest,
    to_categories,
)
from storage.areas import group_by_kecamatan

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
FRESH_CHAT = ROOT / "tests" / "classifier" / "data" / "fresh_chat.jsonl"  # written apart
EXAMPLE = ROOT / "examples" / "kab-bandung" / "config.yaml"
FALLBACK = "lainnya"
AREA_LABEL = "KECAMATAN"  # the label whose reports go to the kecamatan named in them
# Options for long reports: a softer decay (several weak keywords add up in 80 words) and more
# keywords per label. Chosen per split by inner cross-validation among `CANDIDATES`.
CANDIDATES = (
    (SuggestOptions(min_count=2, top=200), 0.8),
    (SuggestOptions(min_count=3, top=100), 0.5),
    (SuggestOptions(min_count=2, top=200, min_precision=0.3), 0.8),
)
# rules_linear: keyword weights learned by a linear model (`suggest_linear`); the model, its
# regularisation and the keywords kept per label are chosen by inner CV among these, then the
# confidence temperature among `TEMPERATURES` and per-category thresholds as for calibrated.
LINEAR_CANDIDATES = (
    LEARNED,
    replace(LEARNED, c=1.0),
    replace(LEARNED, balance=0.0),
)
# rules_readable: at most MAX_TERMS keywords per category, refitted on them (`aduan rules
# suggest --method linear`, the default); how much the small OPDs weigh is chosen by inner CV.
READABLE_CANDIDATES = (
    READABLE,
    replace(READABLE, balance=0.5),
    replace(READABLE, refit_from=2 * MAX_TERMS),
)
TARGET_PRECISION = 0.85
INNER_FOLDS = 4
SMOOTHING = 5  # pseudo-reports at 50% precision when estimating a category's precision


def area_table(path: Path = EXAMPLE) -> AreaTable | None:
    """The Kabupaten Bandung area table (31 kecamatan) from the example deployment."""
    areas = (yaml.safe_load(path.read_text(encoding="utf-8"))["classifier"] or {}).get("areas")
    return AreaTable.model_validate(areas) if areas else None


def suggested_ruleset(
    train: list[Example],
    options: SuggestOptions,
    threshold: float,
    margin: float,
    *,
    decay: float = 0.5,
    areas: AreaTable | None = None,
    thresholds: dict[str, float] | None = None,
) -> RuleSet:
    """Rules learned from `train` alone; unmatched reports fall back to triage.

    With an area table, naming a kecamatan is weighed like a keyword (its log-odds for the
    KECAMATAN label, from `train`) and the KECAMATAN category routes by area.
    """
    found = suggest(train, options, areas=areas.spellings() if areas else None)
    categories: dict[str, dict[str, object]] = dict(to_categories(found))
    categories[FALLBACK] = {"opd": "TRIAGE", "name": {"id": "Lainnya"}, "keywords": {}}
    for code, value in (thresholds or {}).items():
        if code in categories:
            categories[code]["threshold"] = value
    settings: dict[str, object] = {
        "threshold": threshold, "margin": margin, "fallback_category": FALLBACK, "decay": decay,
    }  # fmt: skip
    area_code = AREA_LABEL.lower()
    if areas is not None and area_code in categories:
        table = areas.model_dump()
        table.update(categories=[area_code], weight=area_weight(found, AREA_LABEL))
        settings["areas"] = table
    return RuleSet(categories=categories, settings=settings)


def _decisions(rules: CompiledRules, examples: list[Example]) -> list[tuple[str, float, bool]]:
    """(category, confidence, correct) of every example."""
    out = []
    for ex in examples:
        result = classify(ex.text, rules)
        out.append(
            (result.category or "", result.confidence, prediction(result, "opd") == ex.label)
        )
    return out


def _thresholds(decisions: list[tuple[str, float, bool]], level: float) -> dict[str, float]:
    """Per category, the lowest confidence above which its (smoothed) precision is >= level."""
    by_category: dict[str, list[tuple[float, bool]]] = {}
    for category, confidence, ok in decisions:
        by_category.setdefault(category, []).append((confidence, ok))
    out: dict[str, float] = {}
    for category, items in by_category.items():
        items.sort(key=lambda item: -item[0])
        cut, good = 1.0, 0
        for k, (confidence, ok) in enumerate(items, 1):
            good += ok
            if (good + SMOOTHING / 2) / (k + SMOOTHING) >= level:
                cut = confidence
        out[category] = cut
    return out


def calibrate(
    train: list[Example], areas: AreaTable | None, target: float = TARGET_PRECISION
) -> tuple[SuggestOptions, float, dict[str, float], dict[str, float]]:
    """Options, decay and per-category thresholds chosen by CV inside `train` only.

    Inner folds: rules suggested from the others, decisions on the held-out inner fold. The
    candidate with the best inner accuracy wins; then per-category thresholds at equal
    (smoothed) precision, the level set as low as keeps inner precision >= target.
    """
    labels = [ex.label for ex in train]
    splitter = StratifiedKFold(n_splits=INNER_FOLDS, shuffle=True, random_state=7)
    splits = list(splitter.split(labels, labels))
    best: tuple[float, int, list[tuple[str, float, bool]]] | None = None
    for c, (options, decay) in enumerate(CANDIDATES):
        decisions: list[tuple[str, float, bool]] = []
        for inner_train, inner_test in splits:
            rules = compile_rules(
                suggested_ruleset(
                    [train[i] for i in inner_train], options, 0.0, 0.0, decay=decay, areas=areas
                )
            )
            decisions += _decisions(rules, [train[i] for i in inner_test])
        accuracy = sum(ok for _, _, ok in decisions) / len(decisions)
        if best is None or accuracy > best[0]:
            best = (accuracy, c, decisions)
    assert best is not None
    _, chosen, decisions = best
    thresholds, inner = _choose_thresholds(decisions, target)
    options, decay = CANDIDATES[chosen]
    return options, decay, thresholds or {cat: 1.0 for cat, _, _ in decisions}, inner


def _choose_thresholds(
    decisions: list[tuple[str, float, bool]], target: float
) -> tuple[dict[str, float], dict[str, float]]:
    """Per-category thresholds at equal (smoothed) precision, the level as low as keeps the
    precision on `decisions` >= target; with the coverage and precision they give there."""
    thresholds: dict[str, float] = {}
    inner = {"coverage": 0.0, "precision": 0.0}
    for step in range(99, 40, -1):
        candidate = _thresholds(decisions, step / 100)
        routed = [ok for cat, conf, ok in decisions if cat != FALLBACK and conf >= candidate[cat]]
        precise = bool(routed) and sum(routed) / len(routed) >= target
        if precise and len(routed) / len(decisions) > inner["coverage"]:
            thresholds = candidate
            inner = {
                "coverage": len(routed) / len(decisions),
                "precision": sum(routed) / len(routed),
            }
    return thresholds, inner


def calibrate_linear(
    train: list[Example],
    areas: AreaTable | None = None,
    target: float = TARGET_PRECISION,
    candidates: tuple[LinearOptions, ...] = LINEAR_CANDIDATES,
    place_names: tuple[str, ...] = (),
) -> tuple[RuleSet, Calibration]:
    """Learned rules for `train`, every choice made by CV inside `train` only.

    The candidate options with the best inner (out-of-fold) accuracy win; their inner decisions
    then set the temperature and the one threshold that route the most at >= target precision
    (`classifier.calibrate`, as `aduan rules suggest --method linear` does).
    """
    best: tuple[float, LinearOptions, list[Decision]] | None = None
    for options in candidates:
        decisions = out_of_fold(
            train,
            lambda part, options=options: learned_ruleset(
                part, options, areas=areas, area_label=AREA_LABEL, place_names=place_names
            ),
            folds=INNER_FOLDS,
        )
        accuracy = sum(d.correct for d in decisions) / len(decisions)
        if best is None or accuracy > best[0]:
            best = (accuracy, options, decisions)
    assert best is not None
    _, options, decisions = best
    calibration = choose(decisions, target, cut=cut_for(options))
    rules = learned_ruleset(
        train,
        options,
        areas=areas,
        area_label=AREA_LABEL,
        settings=calibration.settings,
        place_names=place_names,
    )
    return rules, calibration


def cross_validate(
    dataset: Dataset,
    options: SuggestOptions,
    threshold: float,
    margin: float,
    folds: int = 5,
    *,
    areas: AreaTable | None = None,
) -> dict[str, dict[str, float]]:
    texts = [ex.text for ex in dataset.examples]
    labels = [ex.label for ex in dataset.examples]
    # Labels seen fewer times than there are folds cannot be stratified; fold them anyway.
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=13)
    runs: dict[str, list[dict[str, float]]] = {
        "rules": [], "rules_calibrated": [], "rules_linear": [], "rules_linear_places": [],
        "rules_readable": [], "rules_readable_list": [], "rules_readable_places": [],
        "tfidf_svm": [], "tfidf_logreg": [],
    }  # fmt: skip
    places = bandung_places()
    place_names = bandung_place_names()
    # Diagnosis only (never a choice): (lead, right?) of every scored report, for the best cut
    # that hindsight would have found on the scored folds themselves.
    best_cut: dict[str, list[tuple[float, bool]]] = {
        "rules_readable": [],
        "rules_readable_places": [],
    }
    inner_runs: list[dict[str, float]] = []
    # Baselines: (margin between their two best labels, right?) on every scored report.
    margins: dict[str, list[tuple[float, bool]]] = {"tfidf_svm": [], "tfidf_logreg": []}
    linear_inner: list[dict[str, float]] = []
    terms: dict[str, list[tuple[int, float]]] = {
        "rules_linear": [], "rules_readable": [], "rules_readable_places": [],
    }  # fmt: skip
    readable_inner: list[dict[str, float]] = []
    for train_idx, test_idx in splitter.split(texts, labels):
        train = [dataset.examples[i] for i in train_idx]
        test = Dataset(tuple(dataset.examples[i] for i in test_idx), dataset.kind)
        # As shipped before: default suggestion, default settings, no area table.
        rules = compile_rules(suggested_ruleset(train, options, threshold, margin))
        runs["rules"].append(evaluate(test, rules).as_dict())
        # Tuned on the training folds only: options, decay and per-category thresholds by
        # inner CV, with the area table.
        chosen, decay, thresholds, inner = calibrate(train, areas)
        inner_runs.append(inner)
        calibrated = compile_rules(
            suggested_ruleset(
                train, chosen, 0.0, 0.0, decay=decay, areas=areas, thresholds=thresholds
            )
        )
        runs["rules_calibrated"].append(evaluate(test, calibrated).as_dict())
        # Learned keyword weights; every choice made by inner CV on the training folds.
        learned, calibration = calibrate_linear(train, areas)
        linear_inner.append({"coverage": calibration.coverage, "precision": calibration.precision})
        runs["rules_linear"].append(evaluate(test, compile_rules(learned)).as_dict())
        # The same rules with the official area list: kecamatan and desa names, typos.
        with_places = evaluate(test, compile_rules(learned, places)).as_dict()
        runs["rules_linear_places"].append(with_places)
        terms["rules_linear"].append(_terms_per_category(learned))
        # At most MAX_TERMS keywords per category, refitted (the default of `--method linear`).
        readable, inner_readable = calibrate_linear(train, areas, candidates=READABLE_CANDIDATES)
        readable_inner.append(
            {"coverage": inner_readable.coverage, "precision": inner_readable.precision}
        )
        runs["rules_readable"].append(evaluate(test, compile_rules(readable)).as_dict())
        runs["rules_readable_list"].append(
            evaluate(test, compile_rules(readable, places)).as_dict()
        )
        terms["rules_readable"].append(_terms_per_category(readable))
        # The same, learned with every kecamatan and desa name of the area list left out as a
        # keyword (`rules suggest --places-of 32.04`), and classified with the list.
        local, _ = calibrate_linear(
            train, areas, candidates=READABLE_CANDIDATES, place_names=place_names
        )
        compiled = compile_rules(local, places)
        runs["rules_readable_places"].append(evaluate(test, compiled).as_dict())
        terms["rules_readable_places"].append(_terms_per_category(local))
        for name, rules_of_fold in (("rules_readable", readable), ("rules_readable_places", local)):
            best_cut[name] += _leads(compile_rules(rules_of_fold, places), test.examples)
        gold = [ex.label for ex in test.examples]
        vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2)
        x_train = vectorizer.fit_transform([ex.text for ex in train])
        x_test = vectorizer.transform([ex.text for ex in test.examples])
        y_train = [ex.label for ex in train]
        for name, model in (
            ("tfidf_svm", LinearSVC(C=0.5)),
            ("tfidf_logreg", LogisticRegression(C=10.0, max_iter=2000)),
        ):
            model.fit(x_train, y_train)
            predicted = list(model.predict(x_test))
            runs[name].append(score(gold, predicted, [True] * len(gold)).as_dict())
            margins[name] += _margins(model.decision_function(x_test), predicted, gold)
    keys = ("accuracy", "macro_f1", "coverage", "auto_precision")
    out = {
        name: {k: statistics.mean(float(r[k]) for r in results) for k in keys}
        for name, results in runs.items()
    }
    for name, results in runs.items():
        f1 = [float(r["per_label"].get(AREA_LABEL, {}).get("f1", 0.0)) for r in results]
        out[name]["kecamatan_f1"] = statistics.mean(f1)
    for name, found in terms.items():
        out[name]["terms_max"] = max(most for most, _ in found)
        out[name]["terms_mean"] = statistics.mean(mean for _, mean in found)
    for name in ("rules_linear", "rules_linear_places", "rules_readable", "rules_readable_list",
                 "rules_readable_places"):  # fmt: skip
        named = [float(r["kecamatan_accuracy"]) for r in runs[name] if "kecamatan_accuracy" in r]
        if named:
            out[name]["kecamatan_accuracy"] = statistics.mean(named)
    for name, found in margins.items():
        out[name]["half_precision"] = _most_confident_half(found)
    for name, found in best_cut.items():
        out[name]["hindsight_coverage"] = _hindsight_coverage(found, TARGET_PRECISION)
    out["rules_calibrated"]["inner_coverage"] = statistics.mean(r["coverage"] for r in inner_runs)
    out["rules_calibrated"]["inner_precision"] = statistics.mean(r["precision"] for r in inner_runs)
    out["rules_linear"]["inner_coverage"] = statistics.mean(r["coverage"] for r in linear_inner)
    out["rules_linear"]["inner_precision"] = statistics.mean(r["precision"] for r in linear_inner)
    for key in ("coverage", "precision"):
        out["rules_readable"][f"inner_{key}"] = statistics.mean(r[key] for r in readable_inner)
    return out


def _terms_per_category(rules: RuleSet) -> tuple[int, float]:
    """The most keywords of one category, and the mean over the categories that have any."""
    sizes = [len(rule.keywords) for rule in rules.categories.values() if rule.keywords]
    return max(sizes), statistics.mean(sizes)


def _margins(decision: object, predicted: list[str], gold: list[str]) -> list[tuple[float, bool]]:
    """A baseline's own confidence (top-two margin of its decision function) per report."""
    import numpy as np

    ranked = np.sort(np.asarray(decision), axis=1)
    gaps = ranked[:, -1] - ranked[:, -2]
    return [(float(g), p == y) for g, p, y in zip(gaps, predicted, gold, strict=True)]


def _leads(rules: CompiledRules, examples: Sequence[Example]) -> list[tuple[float, bool]]:
    """(the winner's lead, right?) of every example: what the lead confidence ranks by."""
    out = []
    for ex in examples:
        result = classify(ex.text, rules)
        best, scores = result.category, result.scores
        ranked = lead(scores[best], runner_up(scores, best)) if best in scores else -1.0
        out.append((ranked, prediction(result, "opd") == ex.label))
    return out


def _hindsight_coverage(found: list[tuple[float, bool]], target: float) -> float:
    """The most that one cut on the lead could have routed at >= target precision, chosen on
    the scored reports themselves (a bound for the honest cut, not a result)."""
    ranked = sorted(found, key=lambda item: -item[0])
    best, good = 0.0, 0
    for k, (_, ok) in enumerate(ranked, 1):
        good += ok
        if k >= 20 and good / k >= target:
            best = k / len(ranked)
    return best


def _most_confident_half(found: list[tuple[float, bool]]) -> float:
    """Precision on the half of the reports the model is surest of."""
    ranked = sorted(found, key=lambda item: -item[0])[: len(found) // 2]
    return sum(ok for _, ok in ranked) / len(ranked)


def bandung_place_names() -> tuple[str, ...]:
    """Every kecamatan and desa/kelurahan name of Kabupaten Bandung (idn-area-data)."""
    rows = regency_areas("32.04")
    return tuple(r.name for r in rows if r.level not in ("province", "regency"))


def bandung_places() -> Gazetteer:
    """Kabupaten Bandung's kecamatan and desa from the installed idn-area-data package."""
    rows = [(r.code, r.parent_code, r.level, r.name) for r in regency_areas("32.04")]
    return Gazetteer.build(group_by_kecamatan(rows))


def shipped_rules_on_chat(config: Path, data: Path) -> dict[str, object]:
    from aduan.config import load_config

    rules = compile_rules(load_config(config).ruleset())
    dataset = load_dataset(data)
    report = evaluate(dataset, rules).as_dict()
    return {k: report[k] for k in ("n", "accuracy", "macro_f1", "coverage", "auto_precision")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lapor", type=Path, default=DATA / "lapor-bandung" / "dev.csv")
    parser.add_argument("--chat", type=Path, default=DATA / "chat-dev.jsonl")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--margin", type=float, default=0.1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    figures = {
        "bandung_cv": cross_validate(
            load_dataset(args.lapor),
            SuggestOptions(),
            args.threshold,
            args.margin,
            areas=area_table(),
        ),
        "chat_dev_shipped": shipped_rules_on_chat(args.config, args.chat),
        "fresh_chat_shipped": shipped_rules_on_chat(args.config, FRESH_CHAT),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print("Kabupaten Bandung, 5-fold CV (OPD):")
    for name, row in figures["bandung_cv"].items():
        if name.startswith("rules"):
            extra = f"  coverage {row['coverage']:.1%}  auto-precision {row['auto_precision']:.1%}"
            extra += f"  KECAMATAN F1 {row['kecamatan_f1']:.3f}"
            if "kecamatan_accuracy" in row:
                extra += f"  kecamatan named {row['kecamatan_accuracy']:.1%}"
            if "terms_max" in row:
                extra += f"  terms/category max {row['terms_max']} mean {row['terms_mean']:.0f}"
            if "hindsight_coverage" in row:
                extra += f"  (best cut in hindsight: {row['hindsight_coverage']:.1%})"
        else:  # what the baseline would give if it routed only the half it is surest of
            extra = f"  (surest half: {row['half_precision']:.1%} right)"
        print(f"  {name:19} accuracy {row['accuracy']:.1%}  macro-F1 {row['macro_f1']:.3f}{extra}")
    calibrated = figures["bandung_cv"]["rules_calibrated"]
    print(
        f"  (rules_calibrated: thresholds set on inner folds for >= {TARGET_PRECISION:.0%} "
        f"precision; there they routed {calibrated['inner_coverage']:.1%} at "
        f"{calibrated['inner_precision']:.1%})"
    )
    linear = figures["bandung_cv"]["rules_linear"]
    print(
        f"  (rules_linear: same procedure; on inner folds they routed "
        f"{linear['inner_coverage']:.1%} at {linear['inner_precision']:.1%})"
    )
    readable = figures["bandung_cv"]["rules_readable"]
    print(
        f"  (rules_readable: at most {MAX_TERMS} keywords per category, refitted; on inner folds "
        f"they routed {readable['inner_coverage']:.1%} at {readable['inner_precision']:.1%})"
    )
    for key, name in (("chat_dev_shipped", "chat-dev"), ("fresh_chat_shipped", "fresh_chat")):
        chat = figures[key]
        print(
            f"Shipped rules on {name} ({chat['n']} messages): accuracy {chat['accuracy']:.1%}, "
            f"macro-F1 {chat['macro_f1']:.3f}, coverage {chat['coverage']:.1%}, "
            f"auto-precision {chat['auto_precision']:.1%}"
        )


if __name__ == "__main__":
    main()
