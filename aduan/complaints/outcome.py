"""What happened to one inbound message, as the pipeline reports it to its caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from channels.message import Button
from classifier import Classification
from storage.models import Complaint

OutcomeKind = Literal["complaint", "reply", "duplicate", "joined", "linked", "staff"]


@dataclass(frozen=True)
class Outcome:
    """What happened to one inbound message."""

    kind: OutcomeKind
    reply: str | None = None
    complaint_code: str | None = None
    status: str | None = None
    category: str | None = None
    opd: str | None = None
    due_at: datetime | None = None
    classification: Classification | None = None
    choices: list[Button] = field(default_factory=list)  # offered with the reply (categories)
    # A new complaint's tracking secret, in the clear only here (the database keeps its hash).
    tracking_secret: str | None = field(default=None, repr=False)

    @classmethod
    def about(cls, kind: OutcomeKind, complaint: Complaint, **more: Any) -> Outcome:
        """An outcome concerning `complaint`, carrying what the caller reports about it."""
        return cls(
            kind=kind,
            complaint_code=complaint.code,
            status=complaint.status,
            category=complaint.category,
            opd=complaint.opd,
            due_at=complaint.due_at,
            **more,
        )
