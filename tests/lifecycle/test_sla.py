"""SLA with controlled time: reminders before due, escalations after, nothing sent twice."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from aduan.runtime import build_runtime
from dispatch.business_hours import due_at_for
from dispatch.context import DispatchContext
from dispatch.destinations import ChatDestination, WebhookDestination
from dispatch.outbox import OutboxWorker
from dispatch.policy import BusinessHours, SlaSettings
from dispatch.senders import destination_senders
from dispatch.sla import SlaTimer
from storage.engine import make_engine, transaction
from storage.models import Complaint, Contact, Message, OutboxItem
from tests.support.deployment import WEBHOOK_SECRET, write_config
from tests.support.http_recorder import Recorder

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Jakarta
HOUR = timedelta(hours=1)
WIB = ZoneInfo("Asia/Jakarta")
OPD_CHAT = ChatDestination(kind="chat", channel="console", address="dpupr-group")
BOSS_CHAT = ChatDestination(kind="chat", channel="console", address="inspektorat")


def supervisor_hook(url: str) -> WebhookDestination:
    return WebhookDestination(
        kind="webhook", url=f"{url}/inspektorat", secret_env="ADUAN_OPD_WEBHOOK_SECRET"
    )


@pytest.fixture
def deployment(tmp_path: Path, database_url: str) -> tuple[Engine, DispatchContext]:
    runtime = build_runtime(write_config(tmp_path / "config.yaml"), database_url, migrate=True)
    ctx = replace(
        runtime.ctx,
        destinations={**runtime.ctx.destinations, "DPUPR": [OPD_CHAT]},
        sla=SlaSettings(
            reminder_before_hours=6,
            repeat_every_hours=24,
            escalate_to=[BOSS_CHAT, supervisor_hook("http://127.0.0.1:9")],
        ),
    )
    return runtime.engine, ctx


def add_complaint(
    engine: Engine, code: str, sla_hours: float = 48, created: datetime = T0, **fields: object
) -> None:
    """A routed DPUPR pothole complaint filed at `created`, due `sla_hours` later."""
    with transaction(engine) as session:
        contact = Contact(channel="web", address=f"warga-{code}")
        session.add(contact)
        session.flush()
        values: dict[str, object] = {
            "code": code,
            "contact_id": contact.id,
            "channel": "web",
            "text": "Jalan berlubang besar di Jl. Merdeka km 3",
            "category": "jalan_rusak",
            "opd": "DPUPR",
            "status": "routed",
            "created_at": created,
            "updated_at": created,
            "due_at": created + sla_hours * HOUR,
            **fields,
        }
        session.add(Complaint(**values))


def sla_items(engine: Engine) -> dict[str, OutboxItem]:
    with transaction(engine) as session:
        rows = session.exec(
            select(OutboxItem).where(OutboxItem.idempotency_key.startswith("sla:"))
        ).all()
    return {row.idempotency_key: row for row in rows}


def chat_texts(engine: Engine, address: str) -> list[str]:
    with transaction(engine) as session:
        return list(
            session.exec(
                select(Message.text)
                .join(Contact, Message.contact_id == Contact.id)
                .where(Contact.address == address)
                .order_by(Message.id)
            )
        )


def stored(engine: Engine, code: str) -> Complaint:
    with transaction(engine) as session:
        return session.exec(select(Complaint).where(Complaint.code == code)).one()


def test_reminder_before_due_then_escalation_then_another_while_still_open(
    deployment: tuple[Engine, DispatchContext],
) -> None:
    engine, ctx = deployment
    add_complaint(engine, "ADU-AAAA2")
    due = T0 + 48 * HOUR
    timer = SlaTimer(engine, ctx)

    assert timer.tick(due - 7 * HOUR).reminded == 0 and not sla_items(engine)

    assert timer.tick(due - 6 * HOUR).reminded == 1
    assert chat_texts(engine, "dpupr-group") == [
        "Pengingat: laporan ADU-AAAA2 (Jalan rusak) untuk Dinas Pekerjaan Umum dan Penataan "
        "Ruang jatuh tempo 04-03-2026 08:00 WIB. Status: Diteruskan ke instansi. Mohon segera "
        "ditindaklanjuti: /proses, /selesai, /tolak atau /alihkan ADU-AAAA2."
    ]
    assert stored(engine, "ADU-AAAA2").reminded_at == due - 6 * HOUR
    assert timer.tick(due - HOUR).reminded == 0

    counts = timer.tick(due)
    assert (counts.reminded, counts.escalated) == (0, 1)
    boss = chat_texts(engine, "inspektorat")
    assert len(boss) == 1 and boss[0].startswith(
        "Eskalasi ke-1: laporan ADU-AAAA2 (Jalan rusak) untuk Dinas Pekerjaan Umum dan Penataan "
        "Ruang melewati target 04-03-2026 08:00 WIB dan terlambat 0 jam."
    )
    assert chat_texts(engine, "dpupr-group")[1] == boss[0]  # the OPD sees it was escalated
    hook = sla_items(engine)["sla:ADU-AAAA2:escalation:1:supervisor:1"]
    document = hook.payload["document"]
    assert (hook.kind, hook.target, document["event"]) == (
        "dispatch",
        "webhook",
        "complaint.escalation",
    )
    assert document["code"] == "ADU-AAAA2" and document["sla"]["escalation"] == 1
    assert document["notice"] == boss[0]

    assert timer.tick(due + 23 * HOUR).escalated == 0
    assert timer.tick(due + 24 * HOUR).escalated == 1
    assert (
        chat_texts(engine, "inspektorat")[1].startswith("Eskalasi ke-2: laporan ADU-AAAA2")
        and "terlambat 24 jam" in chat_texts(engine, "inspektorat")[1]
    )
    complaint = stored(engine, "ADU-AAAA2")
    assert (complaint.escalations, complaint.escalated_at) == (2, due + 24 * HOUR)
    # 1 reminder to the OPD chat; per escalation: 2 supervisor destinations + the OPD chat.
    assert len(sla_items(engine)) == 1 + 2 * 3


def test_a_restart_in_the_middle_sends_nothing_twice(
    deployment: tuple[Engine, DispatchContext], database_url: str
) -> None:
    engine, ctx = deployment
    add_complaint(engine, "ADU-BBBB3")
    due = T0 + 48 * HOUR
    SlaTimer(engine, ctx).tick(due - 5 * HOUR)
    SlaTimer(engine, ctx).tick(due + HOUR)
    before = set(sla_items(engine))

    restarted = SlaTimer(make_engine(database_url), ctx)  # a new process on the same database
    for moment in (due - 5 * HOUR, due + HOUR, due + 2 * HOUR, due + 24 * HOUR):
        counts = restarted.tick(moment)
        assert (counts.reminded, counts.escalated) == (0, 0)
    assert set(sla_items(engine)) == before and len(before) == 4

    assert restarted.tick(due + 25 * HOUR).escalated == 1
    assert len(sla_items(engine)) == 7


def test_two_processes_ticking_at_once_send_each_notice_once(
    deployment: tuple[Engine, DispatchContext], database_url: str
) -> None:
    engine, ctx = deployment
    for index in range(20):
        add_complaint(engine, f"ADU-C{index:02d}XX".replace("0", "A").replace("1", "B"))
    timers = [SlaTimer(make_engine(database_url), ctx) for _ in range(2)]
    due = T0 + 48 * HOUR
    for moment in (due - HOUR, due + HOUR):
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda timer, m=moment: timer.tick(m), timers))
        assert sum(r.reminded + r.escalated for r in results) == 20
    assert len(sla_items(engine)) == 20 * (1 + 3)
    assert {stored(engine, c).escalations for c in ["ADU-CAAXX", "ADU-CBAXX"]} == {1}


def test_resolved_rejected_and_duplicate_complaints_are_not_timed(
    deployment: tuple[Engine, DispatchContext],
) -> None:
    engine, ctx = deployment
    add_complaint(engine, "ADU-DDDD4", status="resolved", resolved_at=T0 + HOUR)
    add_complaint(engine, "ADU-EEEE5", status="rejected")
    add_complaint(engine, "ADU-FFFF6")
    original = stored(engine, "ADU-FFFF6")
    add_complaint(engine, "ADU-GGGG7", duplicate_of_id=original.id)
    timer = SlaTimer(engine, ctx)
    for hours in (43, 49, 80):
        timer.tick(T0 + hours * HOUR)
    codes = {key.split(":")[1] for key in sla_items(engine)}
    assert codes == {"ADU-FFFF6"}
    assert stored(engine, "ADU-DDDD4").reminded_at is None
    assert stored(engine, "ADU-GGGG7").escalations == 0


def test_short_sla_is_reminded_at_half_time_and_overdue_without_reminder_is_escalated(
    deployment: tuple[Engine, DispatchContext],
) -> None:
    engine, ctx = deployment
    add_complaint(engine, "ADU-HHHH8", sla_hours=4)  # shorter than the 6-hour reminder lead
    add_complaint(engine, "ADU-JJJJ9", sla_hours=1)
    timer = SlaTimer(engine, ctx)
    assert timer.tick(T0 + 0.25 * HOUR).reminded == 0
    assert timer.tick(T0 + 0.5 * HOUR).reminded == 1  # half of ADU-JJJJ9's hour
    counts = timer.tick(T0 + 1.5 * HOUR)  # ADU-JJJJ9 is overdue
    assert (counts.reminded, counts.escalated) == (0, 1)
    counts = timer.tick(T0 + 2 * HOUR)  # half of ADU-HHHH8's four hours
    assert (counts.reminded, counts.escalated) == (1, 0)
    # Down through ADU-HHHH8's due time: no late reminder, just the escalation.
    add_complaint(engine, "ADU-KKKK2", sla_hours=4)
    assert timer.tick(T0 + 9 * HOUR).reminded == 0
    assert stored(engine, "ADU-KKKK2").escalations == 1


def test_a_reassigned_complaint_gets_a_new_deadline_and_a_new_reminder(
    deployment: tuple[Engine, DispatchContext],
) -> None:
    engine, ctx = deployment
    add_complaint(engine, "ADU-QQQQ6")
    timer = SlaTimer(engine, ctx)
    timer.tick(T0 + 43 * HOUR)
    timer.tick(T0 + 49 * HOUR)
    moved = T0 + 50 * HOUR
    with transaction(engine) as session:  # what a reassignment does to the SLA fields
        complaint = session.exec(select(Complaint).where(Complaint.code == "ADU-QQQQ6")).one()
        complaint.opd, complaint.status = "DLH", "reassigned"
        complaint.due_at = moved + 48 * HOUR
        complaint.reminded_at = complaint.escalated_at = None
        session.add(complaint)
    timer = replace_destinations(
        timer, {"DLH": [ChatDestination(kind="chat", channel="console", address="dlh")]}
    )
    assert timer.tick(moved + HOUR).escalated == 0
    assert timer.tick(moved + 42 * HOUR).reminded == 1
    assert chat_texts(engine, "dlh")[0].startswith(
        "Pengingat: laporan ADU-QQQQ6 (Jalan rusak) untuk Dinas Lingkungan Hidup"
    )
    assert timer.tick(moved + 48 * HOUR).escalated == 1
    assert "Eskalasi ke-2" in chat_texts(engine, "dlh")[1]  # the count goes on
    assert len(chat_texts(engine, "dpupr-group")) == 2  # the old OPD hears no more


def replace_destinations(
    timer: SlaTimer, destinations: dict[str, list[ChatDestination]]
) -> SlaTimer:
    ctx = replace(timer.ctx, destinations={**timer.ctx.destinations, **destinations})
    return SlaTimer(timer.engine, ctx)


def test_notices_follow_the_instance_language(
    deployment: tuple[Engine, DispatchContext],
) -> None:
    engine, ctx = deployment
    add_complaint(engine, "ADU-MMMM3")
    timer = SlaTimer(engine, replace(ctx, default_language="en"))
    timer.tick(T0 + 43 * HOUR)
    timer.tick(T0 + 50 * HOUR)
    assert chat_texts(engine, "dpupr-group")[0].startswith(
        "Reminder: complaint ADU-MMMM3 (Damaged road) for Dinas Pekerjaan Umum dan Penataan "
        "Ruang is due 04-03-2026 08:00 WIB. Status: Sent to the agency."
    )
    assert (
        chat_texts(engine, "inspektorat")[0].startswith(
            "Escalation #1: complaint ADU-MMMM3 (Damaged road)"
        )
        and "is 2 hours late" in chat_texts(engine, "inspektorat")[0]
    )


def test_a_notice_already_in_the_outbox_is_not_queued_again(
    deployment: tuple[Engine, DispatchContext],
) -> None:
    engine, ctx = deployment
    add_complaint(engine, "ADU-NNNN4")
    timer = SlaTimer(engine, ctx)
    timer.tick(T0 + 43 * HOUR)
    with transaction(engine) as session:  # someone clears the mark by hand
        complaint = session.exec(select(Complaint).where(Complaint.code == "ADU-NNNN4")).one()
        complaint.reminded_at = None
        session.add(complaint)
    assert timer.tick(T0 + 44 * HOUR).reminded == 1
    assert len(sla_items(engine)) == 1 and len(chat_texts(engine, "dpupr-group")) == 1
    assert stored(engine, "ADU-NNNN4").reminded_at == T0 + 44 * HOUR


async def test_the_escalation_reaches_the_supervisor_webhook(
    tmp_path: Path, sqlite_url: str, opd_system: Recorder
) -> None:
    runtime = build_runtime(write_config(tmp_path / "config.yaml"), sqlite_url, migrate=True)
    ctx = replace(runtime.ctx, sla=SlaSettings(escalate_to=[supervisor_hook(opd_system.url)]))
    add_complaint(runtime.engine, "ADU-PPPP5")
    now = T0 + 50 * HOUR
    stop = asyncio.Event()
    timer = SlaTimer(runtime.engine, ctx, clock=lambda: now)
    task = asyncio.create_task(timer.run_forever(stop, interval_seconds=0.05))
    await asyncio.sleep(0.3)  # several ticks: still one escalation
    stop.set()
    await task
    senders = destination_senders({"ADUAN_OPD_WEBHOOK_SECRET": WEBHOOK_SECRET})
    await OutboxWorker(runtime.engine, senders, ctx.settings).run_once()

    (delivery,) = opd_system.wait_for(1)
    assert delivery.path == "/inspektorat"
    assert delivery.headers["X-Aduan-Event"] == "complaint.escalation"
    assert delivery.headers["Idempotency-Key"] == "sla:ADU-PPPP5:escalation:1:supervisor:0"
    body = json.loads(delivery.body)
    assert body["code"] == "ADU-PPPP5" and body["sla"] == {
        "kind": "escalation",
        "escalation": 1,
        "hours_late": 2,
    }
    assert "warga-ADU-PPPP5" not in delivery.body.decode()


BH = BusinessHours(start=time(8), end=time(16), weekdays=[0, 1, 2, 3, 4])


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2026 (the 6th is a Friday), Jakarta time."""
    return datetime(2026, 3, day, hour, minute, tzinfo=WIB)


@pytest.mark.parametrize(
    ("filed", "hours", "due"),
    [
        (wib(6, 13), 8, wib(9, 13)),  # Friday afternoon + 8 working hours -> Monday
        (wib(6, 12), 4, wib(6, 16)),  # ends exactly at closing time: stays on Friday
        (wib(7, 10), 2, wib(9, 10)),  # filed on Saturday: the clock starts Monday morning
        (wib(9, 6), 1, wib(9, 9)),  # before opening
        (wib(9, 17, 30), 1, wib(10, 9)),  # after closing
        (wib(4, 15), 48, wib(12, 15)),  # Wednesday + six working days -> next Thursday
        (wib(6, 15, 30), 0.5, wib(6, 16)),
    ],
)
def test_business_hours_count_only_working_time(
    filed: datetime, hours: float, due: datetime
) -> None:
    result = due_at_for(filed.astimezone(UTC), hours, BH, WIB)
    assert result == due and result.tzinfo == UTC


def test_without_business_hours_the_clock_runs_day_and_night() -> None:
    assert due_at_for(wib(6, 13), 8, None, WIB) == wib(6, 21)


def test_business_hours_follow_daylight_saving_time() -> None:
    amsterdam = ZoneInfo("Europe/Amsterdam")  # clocks go forward on Sunday 29 March 2026
    filed = datetime(2026, 3, 27, 15, 0, tzinfo=amsterdam)
    due = due_at_for(filed, 2, BH, amsterdam)
    assert due == datetime(2026, 3, 30, 9, 0, tzinfo=amsterdam)


def test_business_hours_without_working_time_are_refused() -> None:
    with pytest.raises(ValueError, match="weekdays must list at least one day"):
        BusinessHours(weekdays=[])
    with pytest.raises(ValueError, match="end must be after start"):
        BusinessHours(start="16:00", end="08:00")
    with pytest.raises(ValueError, match="write the time in quotes"):
        BusinessHours(start=960)  # what YAML makes of an unquoted 16:00
