"""What the classifier returns: a decision and the reasons for it."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, fields
from typing import Literal, NamedTuple

Intent = Literal["complaint", "greeting", "thanks", "question", "status", "empty", "vague"]


class Match(NamedTuple):
    """One keyword that contributed to a category's score (or, for an area, the place named)."""

    category: str
    term: str
    weight: float
    found_as: str  # the text that matched (differs from term when matched fuzzily)


@dataclass(frozen=True)
class Classification:
    """The classifier's decision for one message.

    `intent` is "complaint" for a report; otherwise the message is conversation and
    `category`/`opd` are None. `needs_review` means a human (or the citizen) must confirm.
    """

    intent: Intent
    category: str | None
    opd: str | None
    confidence: float
    needs_review: bool
    normalized: str
    matched: tuple[Match, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    area: str | None = None  # the area (kecamatan) named in the text, when an area table is set

    @classmethod
    def of(
        cls,
        intent: Intent,
        category: str | None,
        opd: str | None,
        confidence: float,
        needs_review: bool,
        normalized: str,
        matched: tuple[Match, ...],
        scores: dict[str, float],
        area: str | None,
    ) -> Classification:
        """The same object as `Classification(...)` with every field given, built about twice
        as fast: one `__dict__` update instead of the frozen dataclass's per-field
        `object.__setattr__` (the classifier builds one per message)."""
        result = object.__new__(cls)
        result.__dict__.update(
            intent=intent,
            category=category,
            opd=opd,
            confidence=confidence,
            needs_review=needs_review,
            normalized=normalized,
            matched=matched,
            scores=scores,
            area=area,
        )
        return result

    @property
    def is_complaint(self) -> bool:
        return self.intent == "complaint"

    def as_dict(self) -> dict[str, object]:
        return {
            "intent": self.intent,
            "category": self.category,
            "opd": self.opd,
            "confidence": round(self.confidence, 4),
            "needs_review": self.needs_review,
            "normalized": self.normalized,
            "matched": [m._asdict() for m in self.matched],
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "area": self.area,
        }


# `Classification.of` must set exactly the dataclass's fields, in order.
if tuple(inspect.signature(Classification.of).parameters) != tuple(
    f.name for f in fields(Classification)
):
    raise TypeError("Classification.of is out of date with the Classification fields")
