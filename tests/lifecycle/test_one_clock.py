"""One clock: the time set on the dispatch context is the time of filing, actions and timers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from aduan.complaints.pipeline import Pipeline
from aduan.runtime import build_runtime
from channels.message import InboundMessage
from dispatch.actions import change_status, reopen
from dispatch.sla import SlaTimer
from storage.engine import transaction
from storage.models import Complaint, Contact, Event, Status
from tests.support.deployment import write_config

FILED = datetime(2031, 3, 3, 1, 0, tzinfo=UTC)  # a Monday, 08:00 WIB


def test_the_contexts_clock_dates_the_complaint_its_events_and_the_sla(
    tmp_path: Path, database_url: str
) -> None:
    runtime = build_runtime(write_config(tmp_path / "config.yaml"), database_url, migrate=True)
    now = [FILED]
    ctx = replace(runtime.ctx, clock=lambda: now[0])
    pipeline = Pipeline(runtime.engine, ctx, runtime.pipeline.rules)
    outcome = pipeline.handle(
        InboundMessage(
            channel="web",
            external_id="clock-1",
            sender="web:clock",
            text="Jalan berlubang besar di Jl. Merdeka dekat pasar",
        )
    )
    assert outcome.complaint_code

    now[0] = FILED + timedelta(hours=5)
    with transaction(runtime.engine) as session:
        complaint = session.exec(
            select(Complaint).where(Complaint.code == outcome.complaint_code)
        ).one()
        change_status(session, complaint, Status.in_progress, "staff:test", ctx)
        change_status(session, complaint, Status.resolved, "staff:test", ctx, note="ditambal")
    now[0] = FILED + timedelta(days=1)
    with transaction(runtime.engine) as session:
        complaint = session.exec(
            select(Complaint).where(Complaint.code == outcome.complaint_code)
        ).one()
        contact = session.get(Contact, complaint.contact_id)
        assert contact is not None
        reopen(session, complaint, contact, ctx, note="masih berlubang")

    with transaction(runtime.engine) as session:
        complaint = session.exec(
            select(Complaint).where(Complaint.code == outcome.complaint_code)
        ).one()
        events = session.exec(
            select(Event).where(Event.complaint_id == complaint.id).order_by(Event.id)
        ).all()
        assert complaint.created_at == FILED
        assert complaint.resolved_at is None  # reopened
        assert complaint.updated_at == FILED + timedelta(days=1)
        assert [e.created_at for e in events if e.to_status == Status.resolved] == [
            FILED + timedelta(hours=5)
        ]
        # Reopened on the context's day: the SLA runs again from then, not from the wall clock.
        assert complaint.due_at is not None and complaint.due_at > FILED + timedelta(days=1)
        assert complaint.due_at < FILED + timedelta(days=30)
    # The timer, given no clock of its own, keeps the same time: nothing is due in 2031 yet.
    assert SlaTimer(runtime.engine, ctx).clock() == FILED + timedelta(days=1)
    runtime.engine.dispose()
