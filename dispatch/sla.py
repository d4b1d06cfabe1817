"""SLA timer: remind the OPD before a complaint falls due, escalate to a supervisor after.

Nothing is kept in memory. Each tick reads the stored due times and the `reminded_at`,
`escalated_at` and `escalations` columns, claims the complaints it acts on with
`FOR UPDATE SKIP LOCKED` (SQLite serialises writers anyway), and commits the new timestamps
together with the outbox rows. A restart, or a second process ticking at the same moment,
therefore never queues anything twice; the outbox's unique idempotency keys are the last guard.

- Reminder: once per due time, `reminder_before_hours` before it falls due, to the OPD's
  destinations. When the SLA itself is shorter than twice that lead, the reminder comes at
  half-time instead, so a four-hour complaint is not "reminded" the minute it arrives.
- Escalation: when overdue, to `sla.escalate_to` (the supervisor) with a copy to the OPD;
  again every `repeat_every_hours` while it stays open. After downtime the timer sends one
  catch-up escalation, not a burst.
- Duplicates (`duplicate_of_id` set) are not timed: their original is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from dispatch.context import DispatchContext
from dispatch.destinations import Destination
from dispatch.enqueue import dispatch_to_opd
from storage.complaints import due_within, overdue_unescalated_since
from storage.engine import transaction
from storage.models import Complaint

log = logging.getLogger("aduan.sla")

BATCH = 200


@dataclass(frozen=True)
class SlaCounts:
    """What one tick did."""

    reminded: int = 0
    escalated: int = 0


def _queue_once(session: Session, queue: Callable[[], object]) -> None:
    """Queue inside a savepoint; rows already in the outbox (same keys) mean it was done."""
    try:
        with session.begin_nested():
            queue()
    except IntegrityError:
        log.warning("SLA notice already in the outbox; not queued again")


class SlaTimer:
    """Reminders and escalations computed from stored times; safe to run in several processes."""

    def __init__(
        self,
        engine: Engine,
        ctx: DispatchContext,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.engine = engine
        self.ctx = ctx
        self.clock = clock or ctx.clock

    def tick(self, now: datetime | None = None) -> SlaCounts:
        """Send every reminder and escalation due at `now` (default: the clock)."""
        now = now or self.clock()
        reminded = self._remind(now)
        escalated = 0
        while True:  # in batches, each its own transaction
            done = self._escalate(now)
            escalated += done
            if done < BATCH:
                break
        if reminded or escalated:
            log.info("SLA: %s reminder(s), %s escalation(s)", reminded, escalated)
        return SlaCounts(reminded=reminded, escalated=escalated)

    async def run_forever(self, stop: asyncio.Event, interval_seconds: float = 30) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.tick)
            except Exception:  # a database hiccup must not stop the timer
                log.exception("SLA tick failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_seconds)

    def _remind(self, now: datetime) -> int:
        # No batching here: the window holds at most a few hours of intake, and some rows are
        # skipped (half-time rule), so a fixed batch could starve the rest.
        lead = timedelta(hours=self.ctx.sla.reminder_before_hours)
        done = 0
        with transaction(self.engine) as session:
            candidates = due_within(session, now, now + lead)
            for complaint in candidates:
                assert complaint.due_at is not None
                # Half-time for SLAs shorter than twice the lead (see the module docstring).
                span = min(lead, (complaint.due_at - complaint.created_at) / 2)
                if now < complaint.due_at - span:
                    continue
                self._send_reminder(session, complaint)
                complaint.reminded_at = now
                session.add(complaint)
                done += 1
        return done

    def _escalate(self, now: datetime) -> int:
        repeat = timedelta(hours=self.ctx.sla.repeat_every_hours)
        with transaction(self.engine) as session:
            candidates = overdue_unescalated_since(session, now, now - repeat, BATCH)
            for complaint in candidates:
                complaint.escalations += 1
                complaint.escalated_at = now
                self._send_escalation(session, complaint, now)
                session.add(complaint)
        return len(candidates)

    def _values(self, complaint: Complaint, language: str | None) -> dict[str, Any]:
        lang = self.ctx.language(language)
        return {
            "code": complaint.code,
            "category": self.ctx.category_name(lang, complaint.category),
            "opd": self.ctx.opd_name(complaint.opd),
            "due": self.ctx.local_time(complaint.due_at),
            "status": self.ctx.status_name(lang, complaint.status),
            "text": complaint.text,
        }

    def _send_reminder(self, session: Session, complaint: Complaint) -> None:
        assert complaint.due_at is not None
        # One reminder per due time: a new deadline (reopened, reassigned) earns a new one.
        key = f"sla:{complaint.code}:reminder:{int(complaint.due_at.timestamp())}"
        opd = self.ctx.destinations_of(complaint.opd, complaint.kecamatan)
        self._notice(session, complaint, opd, "reminder", key, {"sla": {"kind": "reminder"}})

    def _send_escalation(self, session: Session, complaint: Complaint, now: datetime) -> None:
        assert complaint.due_at is not None
        n = complaint.escalations
        late = max(0, round((now - complaint.due_at) / timedelta(hours=1)))
        extra = {"sla": {"kind": "escalation", "escalation": n, "hours_late": late}}
        key = f"sla:{complaint.code}:escalation:{n}"
        opd = self.ctx.destinations_of(complaint.opd, complaint.kecamatan)
        for destinations, whom in ((self.ctx.sla.escalate_to, "supervisor"), (opd, "opd")):
            self._notice(
                session,
                complaint,
                destinations,
                "escalation",
                f"{key}:{whom}",
                extra,
                n=n,
                late=late,
            )

    def _notice(
        self,
        session: Session,
        complaint: Complaint,
        destinations: Sequence[Destination],
        kind: str,
        key: str,
        extra: dict[str, Any],
        **values: Any,
    ) -> None:
        """Queue the `kind` notice (template `sla_{kind}`) about `complaint`, unless done."""

        def render(language: str | None) -> str:
            return self.ctx.text(
                language, f"sla_{kind}", **values, **self._values(complaint, language)
            )

        _queue_once(
            session,
            lambda: dispatch_to_opd(
                session,
                complaint,
                self.ctx,
                f"complaint.{kind}",
                key,
                notice=render,
                extra=extra,
                destinations=destinations,
            ),
        )
