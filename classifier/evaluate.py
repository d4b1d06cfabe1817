"""Score a rule set against labelled rows (LAPOR or chat, see shared/data/README); no I/O:
the app reads the files (aduan/rules/datasets.py).

CSV rows are labelled with the OPD that handled them, so the prediction compared is the OPD;
JSONL rows are labelled with a category code or `not_complaint`, so the prediction is the
category, or `not_complaint` when the message is not a complaint.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from classifier.engine import CompiledRules, classify
from classifier.places import squash
from classifier.result import Classification

NOT_COMPLAINT = "not_complaint"
LabelKind = Literal["opd", "category"]


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    text: str
    label: str
    kecamatan: str | None = None  # the kecamatan office it went to, when that is known


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
    # Of the examples whose kecamatan is known: the share whose kecamatan the text was read as.
    kecamatan_accuracy: float | None = None
    kecamatan_n: int = 0

    def as_dict(self) -> dict[str, object]:
        places = (
            {
                "kecamatan_accuracy": round(self.kecamatan_accuracy, 4),
                "kecamatan_n": self.kecamatan_n,
            }
            if self.kecamatan_accuracy is not None
            else {}
        )
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "coverage": round(self.coverage, 4),
            "auto_precision": round(self.auto_precision, 4),
            "confused": [{"label": a, "predicted": b, "count": c} for a, b, c in self.confused],
            "per_label": self.per_label,
            **places,
        }


def lapor_dataset(rows: Iterable[Mapping[str, str]]) -> Dataset:
    """LAPOR rows (title, text, opd), labelled with the OPD that handled them."""
    return Dataset(
        tuple(
            Example(
                f"{row['title']}. {row['text']}",
                row["opd"].strip(),
                (row.get("kecamatan") or "").strip() or None,
            )
            for row in rows
        ),
        "opd",
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
    report = score(labels, predicted, auto, top_confused=top_confused)
    placed = [
        (ex.kecamatan, r) for ex, r in zip(dataset.examples, results, strict=True) if ex.kecamatan
    ]
    if not placed:
        return report
    right = sum(squash(kecamatan) == named_kecamatan(r) for kecamatan, r in placed)
    return replace(report, kecamatan_accuracy=right / len(placed), kecamatan_n=len(placed))


def named_kecamatan(result: Classification) -> str | None:
    """The kecamatan the text was read as naming (area list first, then the rules' areas),
    as a lookup key."""
    where = result.where()
    kecamatan = where["kecamatan"] if where else None
    return squash(kecamatan) if kecamatan else None


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
