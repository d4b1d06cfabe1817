"""Choose a rule set's confidence settings from a labelled history, by cross-validation.

Rules learned from a history are sure of themselves on the reports they were learned from, so
their thresholds must be set on reports they have not seen: the history is split in k folds,
rules are built from k-1 of them and the held-out fold is classified. On those out-of-fold
decisions, for each candidate temperature, the lowest confidence threshold is found at which
the reports routed automatically are still right at least `target` of the time; the
temperature that routes the most wins. The same procedure scores the decisions it produces, so
`Calibration` also says what coverage and precision to expect on new reports.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from classifier.engine import classify, compile_rules, confidences
from classifier.evaluate import Example, LabelKind, prediction
from classifier.rules import RuleSet

TEMPERATURES = (0.25, 0.5, 1.0, 2.0, 4.0)
MIN_ROUTED = 20  # a precision measured on fewer routed reports is too noisy to trust


@dataclass(frozen=True)
class Decision:
    """One out-of-fold decision: the winning category, all scores, and whether it was right."""

    category: str
    scores: dict[str, float]
    correct: bool


@dataclass(frozen=True)
class Calibration:
    """Confidence settings and what they gave on the out-of-fold decisions."""

    temperature: float
    threshold: float
    coverage: float  # share of reports routed automatically
    precision: float  # share of those routed to the right place
    accuracy: float  # share of all reports whose best guess was right

    def settings(self) -> dict[str, float]:
        """The `classifier:` settings to use with the rules."""
        return {"temperature": self.temperature, "threshold": self.threshold, "margin": 0.0}


def stratified_folds(labels: Sequence[str], k: int, seed: int = 7) -> list[list[int]]:
    """Indices split in `k` folds with each label spread evenly over them."""
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    rng = random.Random(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for label in sorted(by_label):
        members = by_label[label]
        rng.shuffle(members)
        for j, i in enumerate(members):
            folds[(offset + j) % k].append(i)
        offset += len(members)
    return folds


def out_of_fold(
    examples: Sequence[Example],
    build: Callable[[Sequence[Example]], RuleSet],
    *,
    folds: int = 4,
    kind: LabelKind = "opd",
    seed: int = 7,
) -> list[Decision]:
    """Every example classified by rules built without its fold."""
    split = stratified_folds([ex.label for ex in examples], folds, seed)
    decisions: list[Decision] = []
    for held_out in split:
        skip = set(held_out)
        rules = compile_rules(build([ex for i, ex in enumerate(examples) if i not in skip]))
        fallback = rules.rules.settings.fallback_category
        for i in held_out:
            result = classify(examples[i].text, rules)
            correct = prediction(result, kind) == examples[i].label
            category = result.category if result.category != fallback else None
            decisions.append(Decision(category or "", dict(result.scores), correct))
    return decisions


def choose(
    decisions: Sequence[Decision],
    target: float,
    *,
    temperatures: Sequence[float] = TEMPERATURES,
    none_score: float = 0.0,
) -> Calibration:
    """The temperature and threshold that route the most decisions at >= `target` precision.

    When no threshold reaches the target, the threshold is 1.0: nothing is routed without review.
    """
    accuracy = sum(d.correct for d in decisions) / len(decisions) if decisions else 0.0
    best = Calibration(temperatures[0], 1.0, 0.0, 0.0, accuracy)
    for temperature in temperatures:
        ranked = sorted(
            (
                (confidences(d.scores, temperature, none_score)[d.category], d.correct)
                for d in decisions
                if d.category and d.scores
            ),
            key=lambda item: -item[0],
        )
        good = 0
        for k, (confidence, correct) in enumerate(ranked, 1):
            good += correct
            coverage = k / len(decisions)
            next_is_tied = k < len(ranked) and ranked[k][0] == confidence
            if k < MIN_ROUTED or next_is_tied or good / k < target:
                continue
            if coverage > best.coverage:
                best = Calibration(temperature, confidence, coverage, good / k, accuracy)
    return best
