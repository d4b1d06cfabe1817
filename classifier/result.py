"""What the classifier returns: a decision and the reasons for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

Intent = Literal["complaint", "greeting", "thanks", "question", "status", "empty"]


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
