"""Staff corrections as labelled examples: the complaint's text and the category staff gave it.

Three decisions count, read from the audit trail (`storage.events.staff_corrections`):
a triage decision in the console, an admin's `/kategori ADU-… kategori` (both route a complaint
that waited for review to a category), and a reassignment to another OPD (`/alihkan`, the
console, an OPD's system), which names an OPD: its category is the one category of the rules
that goes to that OPD or, when several do, the one of them the rules score highest for the
text; a reassignment that leaves that open is skipped. When staff decided more than once, the
last decision is the label.

Corrections are a sample of the rules' mistakes only; the complaints resolved without any
correction are the rules' confirmed decisions, kept beside them so that a change learned from
the mistakes is checked against what already works.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from classifier import CompiledRules, classify
from classifier.evaluate import Example
from storage.events import resolved_complaints, staff_corrections
from storage.models import Event, Status


@dataclass(frozen=True)
class Corrections:
    """The labelled examples, how many staff decisions named no category, and the resolved
    complaints nobody corrected (labelled with their category)."""

    examples: tuple[Example, ...]
    skipped: int
    confirmed: tuple[Example, ...] = ()


def corrected_examples(
    session: Session, rules: CompiledRules, since: datetime | None = None
) -> Corrections:
    """One example per complaint staff corrected (since `since`), labelled by their last say."""
    labels: dict[int, tuple[str, str | None]] = {}
    for event, text in staff_corrections(session, since):
        assert event.complaint_id is not None
        labels[event.complaint_id] = (text, category_of(event, text, rules))
    examples = tuple(Example(text, label) for text, label in labels.values() if label)
    confirmed = tuple(
        Example(text, category)
        for id_, text, category in resolved_complaints(session, since)
        if id_ not in labels and category in rules.rules.categories
    )
    return Corrections(examples, sum(1 for _, label in labels.values() if not label), confirmed)


def category_of(event: Event, text: str, rules: CompiledRules) -> str | None:
    """The category a staff decision gave the complaint (None when it named none)."""
    data = event.data or {}
    categories = rules.rules.categories
    if event.to_status == Status.reassigned:
        return _category_of_opd(str(data.get("to_opd", "")), text, rules)
    # Routed from review: the category is in the event's data (its note, in older trails).
    category = data.get("category") or (event.note or "").split(" -> ", 1)[0].strip()
    return category if category in categories else None


def _category_of_opd(opd: str, text: str, rules: CompiledRules) -> str | None:
    codes = [code for code, rule in rules.rules.categories.items() if rule.opd == opd]
    if len(codes) <= 1:
        return codes[0] if codes else None
    scores = classify(text, rules).scores
    ranked = sorted(((scores.get(code, 0.0), code) for code in codes), reverse=True)
    (best, code), (second, _) = ranked[0], ranked[1]
    return code if best > 0 and best > second else None  # a tie leaves it open
