"""One clock: the time set on the dispatch context is the time of filing, actions and timers."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from aduan.complaints.pipeline import Pipeline
from aduan.runtime import build_runtime
from channels.message import InboundMessage, SendResult
from dispatch.actions import change_status, reopen
from dispatch.outbox import OutboxWorker
from dispatch.senders import destination_senders
from dispatch.sla import SlaTimer
from storage.engine import transaction
from storage.models import Complaint, Contact, Event, Message, OutboxItem, Status
from tests.support.deployment import WEBHOOK_SECRET, write_config
from tests.support.http_recorder import Recorder

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


async def test_the_outbox_keeps_the_contexts_time_and_a_worker_on_it_sends(
    tmp_path: Path, database_url: str, opd_system: Recorder
) -> None:
    config = write_config(tmp_path / "config.yaml", opd_webhook=opd_system.url)
    runtime = build_runtime(config, database_url, migrate=True)
    ctx = replace(runtime.ctx, clock=lambda: FILED)
    pipeline = Pipeline(runtime.engine, ctx, runtime.pipeline.rules)
    outcome = pipeline.handle(
        InboundMessage(
            channel="web",
            external_id="clock-2",
            sender="web:clock-2",
            text="Jalan berlubang besar di Jl. Merdeka km 3, motor sering jatuh",
        )
    )
    code = outcome.complaint_code
    with transaction(runtime.engine) as session:
        items = {i.idempotency_key: i for i in session.exec(select(OutboxItem)).all()}
        ack, opd = items[f"ack:{code}"], items[f"dispatch:{code}:1:0"]
        assert [(i.created_at, i.next_attempt_at) for i in (ack, opd)] == [(FILED, FILED)] * 2
        message = session.get(Message, ack.message_id)
        assert message is not None and message.created_at == FILED

    delivered: list[dict[str, object]] = []

    async def web(payload: dict[str, object]) -> SendResult:
        delivered.append(payload)
        return SendResult()

    senders = {**destination_senders({"ADUAN_OPD_WEBHOOK_SECRET": WEBHOOK_SECRET}), "web": web}
    # On the wall clock, work stamped in 2031 is not due yet; on the context's clock it is.
    assert await OutboxWorker(runtime.engine, senders, ctx.settings).run_once() == 0
    assert await OutboxWorker(runtime.engine, senders, ctx.settings, clock=ctx.clock).run_once()
    (delivery,) = opd_system.wait_for(1)
    assert delivery.path == "/opd/DPUPR"
    assert json.loads(delivery.body)["code"] == code
    assert [p["idempotency_key"] for p in delivered] == [f"ack:{code}"]
    runtime.engine.dispose()
