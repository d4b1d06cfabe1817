"""What the classifier returns: a decision and the reasons for it."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, fields
from typing import Literal, NamedTuple

from classifier.places import Place

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
    area: str | None = None  # the rules' area (settings.areas) named in the text: routes by area
    place: Place | None = None  # kecamatan and desa named, from the deployment's area list

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
        place: Place | None = None,
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
            place=place,
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
            "area": self.where(),
        }

    def where(self) -> dict[str, str | None] | None:
        """The kecamatan and desa named ({kecamatan, desa}, either may be None), or None."""
        if self.place is not None:
            return self.place.as_dict()
        return {"kecamatan": self.area, "desa": None} if self.area is not None else None


# `Classification.of` must set exactly the dataclass's fields, in order.
if tuple(inspect.signature(Classification.of).parameters) != tuple(
    f.name for f in fields(Classification)
):
    raise TypeError("Classification.of is out of date with the Classification fields")
