"""The complaint lifecycle: every allowed status change, declared in one place."""

from __future__ import annotations

from storage.models import Status

S = Status

TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.received: frozenset({S.routed, S.needs_review, S.rejected}),
    S.needs_review: frozenset({S.routed, S.rejected}),
    S.routed: frozenset({S.in_progress, S.resolved, S.rejected, S.reassigned}),
    S.in_progress: frozenset({S.resolved, S.rejected, S.reassigned}),
    S.reassigned: frozenset({S.in_progress, S.resolved, S.rejected, S.reassigned}),
    S.resolved: frozenset({S.reopened}),
    S.rejected: frozenset({S.reopened}),
    S.reopened: frozenset({S.in_progress, S.resolved, S.rejected, S.reassigned}),
}

# Transitions the citizen is told about. Routing on intake is covered by the acknowledgement.
CITIZEN_VISIBLE: frozenset[Status] = frozenset(
    {S.routed, S.in_progress, S.resolved, S.rejected, S.reassigned, S.reopened}
)

# Transitions that must carry a note saying why.
NOTE_REQUIRED: frozenset[Status] = frozenset({S.rejected, S.reassigned})


class TransitionError(ValueError):
    """An illegal status change; nothing was changed."""


def check_transition(current: str, target: str, note: str | None) -> Status:
    """Return `target` as a Status if the change is allowed, else raise TransitionError."""
    try:
        source, goal = Status(current), Status(target)
    except ValueError as exc:
        raise TransitionError(f"unknown status {target!r}") from exc
    if goal not in TRANSITIONS[source]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[source])) or "none"
        raise TransitionError(
            f"cannot change status from {source.value} to {goal.value} (allowed: {allowed})"
        )
    if goal in NOTE_REQUIRED and not (note and note.strip()):
        raise TransitionError(f"a reason is required to set status {goal.value}")
    return goal
