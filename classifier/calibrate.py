"""Choose a rule set's confidence settings from a labelled history, by cross-validation.

Rules learned from a history are sure of themselves on the reports they were learned from, so
their thresholds must be set on reports they have not seen: the history is split in k folds,
rules are built from k-1 of them and the held-out fold is classified. On those out-of-fold
decisions the confidence is calibrated (`lead`: a logistic function of the winner's lead,
fitted to whether each decision was right; `softmax`: the temperature that routes the most),
and the lowest threshold is found at which the reports routed automatically are still right at
least `target` of the time. `Calibration` also says what coverage and precision that gave, i.e.
what to expect on new reports.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from classifier.engine import classify, compile_rules, confidences, lead, logistic, runner_up
from classifier.evaluate import Example, LabelKind, prediction
from classifier.rules import RuleSet

TEMPERATURES = (0.25, 0.5, 1.0, 2.0, 4.0)
MIN_ROUTED = 20  # a precision measured on fewer routed reports is too noisy to trust
_RIDGE = 0.01  # prior precision on slope and offset


@dataclass(frozen=True)
class Decision:
    """One out-of-fold decision: the winning category, all scores, and whether it was right."""

    category: str
    scores: dict[str, float]
    correct: bool


@dataclass(frozen=True)
class Calibration:
    """Confidence settings and what they gave on the out-of-fold decisions."""

    settings: dict[str, object]  # the `classifier:` settings to use with the rules
    threshold: float
    coverage: float  # share of reports routed automatically
    precision: float  # share of those routed to the right place
    accuracy: float  # share of all reports whose best guess was right


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
    confidence: Literal["softmax", "lead"] = "lead",
    temperatures: Sequence[float] = TEMPERATURES,
    none_score: float = 0.0,
    cut: Literal["observed", "expected"] = "observed",
) -> Calibration:
    """Confidence settings and the threshold that route the most decisions at >= `target`.

    `lead`: the confidence is a logistic function of the winner's lead, fitted to whether the
    decisions were right (Platt scaling); `softmax`: the temperature is chosen among
    `temperatures`. When no threshold reaches the target, it is 1.0: nothing is routed alone.

    `cut`: `observed` routes the most decisions whose observed precision is >= target; with
    `expected` (lead only) the threshold is the lowest at which the mean fitted confidence of
    the routed decisions is >= target — smoother than the observed precision, whose curve on a
    few hundred noisy decisions can dip below the target early and stop routing there.
    """
    scored = [d for d in decisions if d.category and d.scores]
    accuracy = sum(d.correct for d in decisions) / len(decisions) if decisions else 0.0
    candidates: list[tuple[dict[str, object], list[tuple[float, bool]]]] = []
    if confidence == "lead":
        leads = [(_lead(d), d.correct) for d in scored]
        slope, offset = fit_logistic(leads)
        candidates.append(
            (
                {"confidence": "lead", "lead_slope": slope, "lead_offset": offset},
                [(logistic(slope * x + offset), ok) for x, ok in leads],
            )
        )
    else:
        for temperature in temperatures:
            probs = [
                (confidences(d.scores, temperature, none_score)[d.category], d.correct)
                for d in scored
            ]
            candidates.append(({"temperature": temperature, "none_score": none_score}, probs))
    best = Calibration({**candidates[0][0], "threshold": 1.0}, 1.0, 0.0, 0.0, accuracy)
    for settings, ranked in candidates:
        if cut == "expected" and "lead_slope" in settings:
            threshold, coverage, precision = _expected_threshold(ranked, len(decisions), target)
        else:
            threshold, coverage, precision = _threshold_for(ranked, len(decisions), target)
        if "lead_slope" in settings and coverage and threshold > target:
            # A calibrated confidence: a report that is itself right >= target of the time
            # may always be routed, however sure the history's reports happened to be.
            threshold = target
            routed = [ok for confidence, ok in ranked if confidence >= threshold]
            coverage, precision = len(routed) / len(decisions), sum(routed) / len(routed)
        if coverage > best.coverage:
            # Rounded down, so the report at the threshold is still routed.
            floor = math.floor(threshold * 10_000) / 10_000
            best = Calibration(
                {**settings, "threshold": floor, "margin": 0.0},
                floor,
                coverage,
                precision,
                accuracy,
            )
    return best


def _threshold_for(
    ranked: Sequence[tuple[float, bool]], total: int, target: float
) -> tuple[float, float, float]:
    """(threshold, coverage, precision) routing the most at >= target; (1, 0, 0) if none."""
    ordered = sorted(ranked, key=lambda item: -item[0])
    found = (1.0, 0.0, 0.0)
    good = 0
    for k, (confidence, correct) in enumerate(ordered, 1):
        good += correct
        next_is_tied = k < len(ordered) and ordered[k][0] == confidence
        if k >= MIN_ROUTED and not next_is_tied and good / k >= target:
            found = (confidence, k / total, good / k)
    return found


def _expected_threshold(
    ranked: Sequence[tuple[float, bool]], total: int, target: float
) -> tuple[float, float, float]:
    """(threshold, coverage, observed precision) of the lowest threshold whose routed decisions
    have a mean confidence >= target; (1, 0, 0) if none (or fewer than MIN_ROUTED)."""
    ordered = sorted(ranked, key=lambda item: -item[0])
    found = (1.0, 0.0, 0.0)
    expected = 0.0
    good = 0
    for k, (confidence, correct) in enumerate(ordered, 1):
        expected += confidence
        good += correct
        next_is_tied = k < len(ordered) and ordered[k][0] == confidence
        if expected / k < target:
            break
        if k >= MIN_ROUTED and not next_is_tied:
            found = (confidence, k / total, good / k)
    return found


def _lead(decision: Decision) -> float:
    return lead(decision.scores[decision.category], runner_up(decision.scores, decision.category))


def fit_logistic(
    points: Sequence[tuple[float, bool]], iterations: int = 100
) -> tuple[float, float]:
    """Slope and offset of P(correct | x) = 1 / (1 + exp(-(slope x + offset))).

    Maximum likelihood by Newton's method, with a weak ridge prior (`_RIDGE`) so that perfectly
    separable decisions still give a finite fit, and steps capped so it cannot run away. The
    slope is kept positive: a bigger lead never means less confidence.
    """
    slope, offset = 1.0, 0.0
    for _ in range(iterations):
        g_s, g_o = _RIDGE * slope, _RIDGE * offset
        h_ss = h_oo = _RIDGE
        h_so = 0.0
        for x, y in points:
            p = logistic(slope * x + offset)
            g_s += (p - y) * x
            g_o += p - y
            w = p * (1 - p)
            h_ss += w * x * x
            h_so += w * x
            h_oo += w
        det = h_ss * h_oo - h_so * h_so
        step_s = (h_oo * g_s - h_so * g_o) / det
        step_o = (h_ss * g_o - h_so * g_s) / det
        scale = min(1.0, 1.0 / max(abs(step_s), abs(step_o), 1e-12))  # at most 1 per step
        slope, offset = slope - scale * step_s, offset - scale * step_o
        if abs(step_s) + abs(step_o) < 1e-9:
            break
    return round(max(slope, 1e-3), 4), round(offset, 4)
