"""Score a rule set against labelled rows (LAPOR or chat, see shared/data/README); no I/O:
the app reads the files (aduan/rules/datasets.py).

CSV rows are labelled with the OPD that handled them, so the prediction compared is the OPD;
JSONL rows are labelled with a category code or `not_complaint`, so the prediction is the
category, or `not_complaint` when the message is not a complaint.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from classifier.engine import CompiledRules, classify
from classifier.result import Classification

NOT_COMPLAINT = "not_complaint"
LabelKind = Literal["opd", "category"]


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    text: str
    label: str


@dataclass(frozen=True)
class Dataset:
    """Labelled messages and what their labels mean."""

    examples: tuple[Example, ...]
    kind: LabelKind


@dataclass(frozen=True)
class Report:
    """Quality figures of a rule set on a dataset."""

    n: int
    accuracy: float
    macro_f1: float
    coverage: float
    auto_precision: float
    confused: list[tuple[str, str, int]] = field(default_factory=list)
    per_label: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "coverage": round(self.coverage, 4),
            "auto_precision": round(self.auto_precision, 4),
            "confused": [{"label": a, "predicted": b, "count": c} for a, b, c in self.confused],
            "per_label": self.per_label,
        }


def lapor_dataset(rows: Iterable[Mapping[str, str]]) -> Dataset:
    """LAPOR rows (title, text, opd), labelled with the OPD that handled them."""
    return Dataset(
        tuple(Example(f"{row['title']}. {row['text']}", row["opd"].strip()) for row in rows), "opd"
    )


def chat_dataset(rows: Iterable[Mapping[str, str]]) -> Dataset:
    """Chat rows (text, label), labelled with a category code or `not_complaint`."""
    return Dataset(tuple(Example(row["text"], row["label"]) for row in rows), "category")


def prediction(result: Classification, kind: LabelKind) -> str:
    """The label a decision stands for, comparable with the dataset's labels."""
    if not result.is_complaint:
        return NOT_COMPLAINT
    value = result.opd if kind == "opd" else result.category
    return value or ""


def evaluate(dataset: Dataset, rules: CompiledRules, *, top_confused: int = 10) -> Report:
    """Classify every example and compute the report."""
    results = [classify(ex.text, rules) for ex in dataset.examples]
    labels = [ex.label for ex in dataset.examples]
    predicted = [prediction(r, dataset.kind) for r in results]
    auto = [r.is_complaint and not r.needs_review for r in results]
    return score(labels, predicted, auto, top_confused=top_confused)


def score(
    labels: Sequence[str],
    predicted: Sequence[str],
    auto: Sequence[bool],
    *,
    top_confused: int = 10,
) -> Report:
    """Metrics from parallel lists of gold labels, predictions and auto-routed flags."""
    n = len(labels)
    correct = [gold == pred for gold, pred in zip(labels, predicted, strict=True)]
    routed = [ok for ok, is_auto in zip(correct, auto, strict=True) if is_auto]
    per_label = _per_label(labels, predicted)
    confused = Counter(
        (gold, pred) for gold, pred in zip(labels, predicted, strict=True) if gold != pred
    )
    return Report(
        n=n,
        accuracy=sum(correct) / n if n else 0.0,
        macro_f1=_mean(v["f1"] for v in per_label.values()),
        coverage=len(routed) / n if n else 0.0,
        auto_precision=sum(routed) / len(routed) if routed else 0.0,
        confused=[(a, b, c) for (a, b), c in confused.most_common(top_confused)],
        per_label=per_label,
    )


def _per_label(labels: Sequence[str], predicted: Sequence[str]) -> dict[str, dict[str, float]]:
    # Macro-F1 averages over the gold labels, so a spurious prediction lowers precision only.
    out: dict[str, dict[str, float]] = {}
    for label in sorted(set(labels)):
        tp = sum(g == label and p == label for g, p in zip(labels, predicted, strict=True))
        n_pred = sum(p == label for p in predicted)
        n_gold = sum(g == label for g in labels)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": n_gold,
        }
    return out


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0
