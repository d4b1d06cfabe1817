"""A decision of the classifier told in words: what was matched, the scores, the outcome.

Shared by `aduan classify` and the console's "try a text" box.
"""

from __future__ import annotations

from classifier import Classification
from classifier.engine import confidences
from classifier.rules import ClassifierSettings

EXPLAINED_CATEGORIES = 5  # categories whose matched terms `explain` lists


def explain(result: Classification, settings: ClassifierSettings | None = None) -> str:
    """A human-readable account of one decision.

    Terms are listed for the best-scoring categories only (learned rules match many terms
    weakly for many categories); the rest are counted.
    """
    settings = settings or ClassifierSettings()
    ranked = sorted(result.scores, key=lambda code: -result.scores[code])
    shown = set(ranked[:EXPLAINED_CATEGORIES])
    lines = [f"normalised: {result.normalized or '(empty)'}"]
    listed = [m for m in result.matched if m.category in shown or m.weight < 0 or not shown]
    if listed:
        lines.append("matched:")
        for m in listed:
            how = "" if m.found_as == m.term else f"  (written {m.found_as!r})"
            sign = "cancels" if m.weight < 0 else f"+{m.weight:g}"
            lines.append(f"  {m.category:<16} {m.term!r} {sign}{how}")
        if hidden := len(result.matched) - len(listed):
            lines.append(f"  ... and {hidden} more terms of lower-scoring categories")
    else:
        lines.append("matched: nothing")
    if result.scores:
        softmax = settings.confidence == "softmax"
        probs = confidences(result.scores, settings.temperature, settings.none_score)
        lines.append("scores:")
        for code in ranked[:EXPLAINED_CATEGORIES]:
            p = f"  p={probs[code]:.2f}" if softmax else ""
            lines.append(f"  {code:<16} {result.scores[code]:6.2f}{p}")
        if len(ranked) > EXPLAINED_CATEGORIES:
            lines.append(f"  ... and {len(ranked) - EXPLAINED_CATEGORIES} more categories")
    if (where := result.where()) is not None:
        named = ", ".join(f"{level} {name}" for level, name in where.items() if name)
        found = f"  (written {result.place.found_as!r})" if result.place else ""
        lines.append(f"place: {named}{found}")
    if result.is_complaint:
        review = "needs review" if result.needs_review else "routed automatically"
        how = "" if settings.confidence == "softmax" else " (from its lead over the runner-up)"
        lines.append(
            f"decision: complaint -> {result.category} ({result.opd}), "
            f"confidence {result.confidence:.2f}{how}, {review}"
        )
    else:
        lines.append(f"decision: not a complaint ({result.intent})")
    return "\n".join(lines)
