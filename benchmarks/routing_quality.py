"""Routing quality: suggested rules vs a TF-IDF + linear baseline, and the shipped rules.

1. Kabupaten Bandung (lapor-bandung/dev.csv), 5-fold stratified cross-validation: on each
   split the rules are suggested from four folds (`classifier.suggest`, no hand curation) and
   scored on the fifth; TF-IDF + LinearSVC and TF-IDF + LogisticRegression are trained on the
   same four folds in the same run. Reported: OPD accuracy, macro-F1, and for the rules the
   coverage (share routed without review) and the precision on that share.
2. The shipped default rules (config.yaml) on chat-dev.jsonl.

Run from the repository root:  .venv/bin/python -m benchmarks.routing_quality
(benchmark-only dependencies: scikit-learn, pyahocorasick — `pip install -e .[bench]`).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from classifier import RuleSet, compile_rules
from classifier.evaluate import Dataset, Example, evaluate, load_dataset, score
from classifier.suggest import SuggestOptions, suggest, to_categories

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
FALLBACK = "lainnya"


def suggested_ruleset(
    train: list[Example], options: SuggestOptions, threshold: float, margin: float
) -> RuleSet:
    """Rules learned from `train` alone; unmatched reports fall back to triage."""
    categories = to_categories(suggest(train, options))
    categories[FALLBACK] = {"opd": "TRIAGE", "name": {"id": "Lainnya"}, "keywords": {}}
    return RuleSet(
        categories=categories,
        settings={"threshold": threshold, "margin": margin, "fallback_category": FALLBACK},
    )


def cross_validate(
    dataset: Dataset, options: SuggestOptions, threshold: float, margin: float, folds: int = 5
) -> dict[str, dict[str, float]]:
    texts = [ex.text for ex in dataset.examples]
    labels = [ex.label for ex in dataset.examples]
    # Labels seen fewer times than there are folds cannot be stratified; fold them anyway.
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=13)
    runs: dict[str, list[dict[str, float]]] = {"rules": [], "tfidf_svm": [], "tfidf_logreg": []}
    for train_idx, test_idx in splitter.split(texts, labels):
        train = [dataset.examples[i] for i in train_idx]
        test = Dataset(tuple(dataset.examples[i] for i in test_idx), dataset.kind)
        rules = compile_rules(suggested_ruleset(train, options, threshold, margin))
        runs["rules"].append(evaluate(test, rules).as_dict())
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
    keys = ("accuracy", "macro_f1", "coverage", "auto_precision")
    return {
        name: {k: statistics.mean(float(r[k]) for r in results) for k in keys}
        for name, results in runs.items()
    }


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
            load_dataset(args.lapor), SuggestOptions(), args.threshold, args.margin
        ),
        "chat_dev_shipped": shipped_rules_on_chat(args.config, args.chat),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print("Kabupaten Bandung, 5-fold CV (OPD):")
    for name, row in figures["bandung_cv"].items():
        extra = (
            f"  coverage {row['coverage']:.1%}  auto-precision {row['auto_precision']:.1%}"
            if name == "rules"
            else ""
        )
        print(f"  {name:13} accuracy {row['accuracy']:.1%}  macro-F1 {row['macro_f1']:.3f}{extra}")
    chat = figures["chat_dev_shipped"]
    print(
        f"Shipped rules on chat-dev ({chat['n']} messages): accuracy {chat['accuracy']:.1%}, "
        f"macro-F1 {chat['macro_f1']:.3f}, coverage {chat['coverage']:.1%}, "
        f"auto-precision {chat['auto_precision']:.1%}"
    )


if __name__ == "__main__":
    main()
