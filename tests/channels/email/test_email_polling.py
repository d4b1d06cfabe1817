"""The IMAP poller against a real Dovecot, handing mail to the real core (SQLite)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlmodel import select

from aduan.complaints.receipts import Intake
from aduan.runtime import Runtime, build_runtime
from aduan.serve import senders_for
from channels.contract import Cursor, Parsed
from channels.email import EmailAdapter
from channels.email.config import EmailConfig
from channels.email.mailbox import Mailbox
from channels.message import InboundMessage
from dispatch.context import DispatchSettings
from dispatch.outbox import OutboxWorker
from storage.engine import transaction
from storage.models import ChannelCursor, Complaint, Contact, Message
from tests.channels.email.servers import ADDRESS, PASSWORD, Dovecot, MailCatcher
from tests.support.deployment import write_config

FIXTURES = Path(__file__).parent / "fixtures"
PROCESSED, AUTOMATIC, SET_ASIDE = "Aduan/Diproses", "Aduan/Otomatis", "Aduan/Disisihkan"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def complaint_mail(number: int) -> bytes:
    return (
        f"From: Warga {number} <warga{number}@example.id>\n"
        f"To: {ADDRESS}\nSubject: Laporan {number}\n"
        f"Message-ID: <laporan-{number}@example.id>\n"
        f"Content-Type: text/plain; charset=utf-8\n\n"
        f"Jalan berlubang besar di gang {number} dekat pasar, sudah dua minggu.\n"
    ).encode()


def email_adapter(dovecot: Dovecot, tmp_path: Path, **settings: object) -> EmailAdapter:
    values: dict[str, object] = {
        "address": ADDRESS,
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.port,
        "imap_security": "none",
        "imap_user": ADDRESS,
        "imap_password": PASSWORD,
        "poll_seconds": 3600,  # Dovecot has IDLE: new mail must arrive through it
        "smtp_host": "127.0.0.1",
        "attachments_dir": tmp_path / "attachments",
        **settings,
    }
    return EmailAdapter(EmailConfig.model_validate(values))


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    config = write_config(tmp_path / "config.yaml")
    return build_runtime(config, f"sqlite:///{tmp_path / 'aduan.db'}", migrate=True)


class FlakyIntake(Intake):
    """The core, failing on the mails `fails` picks (a poison mail, a database hiccup)."""

    def __init__(self, runtime: Runtime, fails: Callable[[InboundMessage], bool]) -> None:
        super().__init__(runtime.engine, runtime.pipeline, "email")
        self.fails = fails

    async def deliver(self, parsed: list[Parsed], cursor: Cursor | None = None) -> None:
        if any(isinstance(p, InboundMessage) and self.fails(p) for p in parsed):
            raise RuntimeError("the core choked on this one")
        await super().deliver(parsed, cursor)


def stored(runtime: Runtime) -> tuple[list[str], list[str]]:
    """External ids of inbound messages, and complaint texts."""
    with transaction(runtime.engine) as session:
        inbound = session.exec(select(Message).where(Message.direction == "in")).all()
        complaints = session.exec(select(Complaint)).all()
        return [m.external_id for m in inbound], [c.text for c in complaints]


@asynccontextmanager
async def polling(adapter: EmailAdapter, sink: Intake) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(adapter.poll(sink, stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def eventually(check: Callable[[], bool], timeout: float = 30) -> None:
    """Wait until `check()` holds (the poller works in the background)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await asyncio.to_thread(check):
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def test_new_mail_becomes_a_complaint_through_idle_and_is_filed_unread(
    dovecot: Dovecot, tmp_path: Path, runtime: Runtime
) -> None:
    intake = Intake(runtime.engine, runtime.pipeline, "email")
    async with polling(email_adapter(dovecot, tmp_path), intake):
        await eventually(lambda: dovecot.count(PROCESSED) == 0 and dovecot.count("INBOX") == 0)
        dovecot.append(fixture("gmail_alternative.eml"), fixture("image_attachment.eml"))
        await eventually(lambda: dovecot.count(PROCESSED) == 2)
    ids, texts = stored(runtime)
    assert ids == [
        "CAJ8x2kP0sQ9n4vN7Zr1a+7rW3T=eQfY1qk8mA0bXh6cD-ug@mail.gmail.com",
        "8F2D9C1B-3A4E-4F5B-9C6D-7E8F9A0B1C2D@icloud.com",
    ]
    assert any("Jl. Merdeka" in t for t in texts) and any("Diponegoro" in t for t in texts)
    assert dovecot.count("INBOX") == 0
    assert all(b"\\Seen" not in flags for flags, _ in dovecot.messages(PROCESSED))  # BODY.PEEK
    with transaction(runtime.engine) as session:
        (cursor,) = session.exec(select(ChannelCursor)).all()
        photo = session.exec(select(Complaint).where(Complaint.text.contains("Diponegoro"))).one()
    assert cursor.key == f"imap://{ADDRESS}@127.0.0.1:{dovecot.port}/INBOX"
    assert cursor.value.endswith(":2")
    (attachment,) = photo.attachments
    assert attachment["content_type"] == "image/png"
    assert Path(attachment["url"].removeprefix("file://")).read_bytes().startswith(b"\x89PNG")


async def test_robots_bad_and_huge_mail_are_filed_once_and_the_next_mail_goes_on(
    dovecot: Dovecot, tmp_path: Path, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aduan.channels.email")
    big = complaint_mail(7).replace(b"dua minggu.", b"dua minggu. " + b"x" * 5000)
    dovecot.append(
        fixture("out_of_office.eml"),
        fixture("bounce.eml"),
        fixture("malformed.eml"),
        big,
        complaint_mail(8),
    )
    intake = Intake(runtime.engine, runtime.pipeline, "email")
    async with polling(email_adapter(dovecot, tmp_path, max_message_bytes=4000), intake):
        await eventually(lambda: dovecot.count(PROCESSED) == 1)
    ids, texts = stored(runtime)
    assert ids == ["laporan-8@example.id"] and len(texts) == 1
    assert dovecot.count("INBOX") == 0
    assert dovecot.count(AUTOMATIC) == 2 and dovecot.count(SET_ASIDE) == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("set aside" in w and "StartBoundaryNotFound" in w for w in warnings)
    assert any("set aside" in w and "(limit 4000)" in w for w in warnings)


async def test_a_mail_the_core_keeps_failing_on_is_set_aside_and_does_not_block_others(
    dovecot: Dovecot, tmp_path: Path, runtime: Runtime
) -> None:
    dovecot.append(complaint_mail(1), complaint_mail(2))
    intake = FlakyIntake(runtime, lambda m: m.external_id == "laporan-1@example.id")
    adapter = email_adapter(dovecot, tmp_path, reconnect_max_seconds=0.2)
    for _ in range(2):  # `aduan serve` restarts a crashed poller; the adapter remembers
        with pytest.raises(RuntimeError):
            await asyncio.wait_for(adapter.poll(intake, asyncio.Event()), 30)
        assert stored(runtime)[0] == [] and dovecot.count("INBOX") == 2  # not skipped yet
    async with polling(adapter, intake):
        await eventually(lambda: dovecot.count(PROCESSED) == 1)
    assert stored(runtime)[0] == ["laporan-2@example.id"]
    assert dovecot.count(SET_ASIDE) == 1


async def test_uidvalidity_change_reads_the_mailbox_again_without_duplicates(
    dovecot: Dovecot, tmp_path: Path, runtime: Runtime
) -> None:
    dovecot.append(*(complaint_mail(n) for n in range(3)))
    intake = Intake(runtime.engine, runtime.pipeline, "email")
    adapter = email_adapter(dovecot, tmp_path, processed_folder=None)  # flag, keep in INBOX
    async with polling(adapter, intake):
        await eventually(lambda: len(stored(runtime)[0]) == 3)
    with transaction(runtime.engine) as session:
        before = session.exec(select(ChannelCursor)).one().value

    # A migration to a new server: new UIDVALIDITY and UIDs, and our keyword is lost.
    dovecot.stop()
    maildir = dovecot.root / "mail" / ADDRESS
    for index in maildir.glob("dovecot*index*"):
        index.unlink()
    (maildir / "dovecot-uidlist").write_text(f"3 V{int(before.split(':')[0]) + 1000} N1\n")
    dovecot.start()
    with dovecot.client() as client:
        client.select_folder("INBOX")
        client.remove_flags(client.search(), ["$AduanProcessed"])
    dovecot.append(complaint_mail(3))
    async with polling(email_adapter(dovecot, tmp_path, processed_folder=None), intake):
        await eventually(lambda: len(stored(runtime)[0]) == 4)
        with transaction(runtime.engine) as session:
            after = session.exec(select(ChannelCursor)).one().value
        assert after.split(":")[0] != before.split(":")[0]
    ids, texts = stored(runtime)
    assert sorted(ids) == [f"laporan-{n}@example.id" for n in range(4)] and len(texts) == 4
    flags = [f for f, _ in dovecot.messages("INBOX")]
    assert len(flags) == 4 and all(b"$AduanProcessed" in f and b"\\Seen" not in f for f in flags)


async def test_poller_waits_for_a_server_that_is_down_and_then_reads(
    dovecot: Dovecot, tmp_path: Path, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    dovecot.stop()
    intake = Intake(runtime.engine, runtime.pipeline, "email")
    adapter = email_adapter(dovecot, tmp_path, reconnect_max_seconds=1)
    async with polling(adapter, intake):
        await eventually(lambda: "reconnecting" in caplog.text)
        dovecot.start()
        dovecot.append(complaint_mail(5))
        await eventually(lambda: dovecot.count(PROCESSED) == 1)
    assert stored(runtime)[0] == ["laporan-5@example.id"]


async def test_a_bounce_of_our_acknowledgement_marks_it_failed(
    dovecot: Dovecot, tmp_path: Path, runtime: Runtime, smtp: MailCatcher
) -> None:
    adapter = email_adapter(
        dovecot, tmp_path, smtp_port=smtp.port, smtp_security="none", processed_folder=None
    )
    intake = Intake(runtime.engine, runtime.pipeline, "email")
    outbox = OutboxWorker(runtime.engine, senders_for({"email": adapter}, {}), DispatchSettings())
    dovecot.append(complaint_mail(1))
    async with polling(adapter, intake):
        await eventually(lambda: len(stored(runtime)[0]) == 1)
        await outbox.run_once()
        (ack,) = smtp.wait_for("warga1@example.id", 1)
        bounce = fixture("bounce.eml").replace(
            b"<ack.ADU-7K3Q9.5d2e9a0c1b3f@pemkab-contoh.go.id>", ack["Message-ID"].encode()
        )
        dovecot.append(bounce)
        await eventually(lambda: dovecot.count(AUTOMATIC) == 1)
    with transaction(runtime.engine) as session:
        sent = session.exec(select(Message).where(Message.direction == "out")).all()
        failed = [m for m in sent if f"<{m.external_id}>" == ack["Message-ID"]]
        assert [(m.delivery_state, m.delivery_error) for m in failed] == [
            (
                "failed",
                "5.1.1 smtp; 550-5.1.1 The email account that you tried to reach does not exist.",
            )
        ]
    assert len(stored(runtime)[0]) == 1  # the bounce itself is no message from anyone


def test_mail_announced_while_entering_idle_is_not_missed(dovecot: Dovecot, tmp_path: Path) -> None:
    """Mail that arrives between the last search and IDLE may be announced before the server
    says "+ idling"; it must count as new mail, not wait for the next IDLE renewal."""
    box = Mailbox(email_adapter(dovecot, tmp_path).config)
    box.open()
    try:
        dovecot.append(complaint_mail(3))  # arrives while the poller is between commands
        arrived = box.idle_start()
        deadline = time.monotonic() + 10
        while not arrived and time.monotonic() < deadline:
            arrived = box.idle_check(1)
        box.idle_done()
        assert arrived
    finally:
        box.close()


async def test_mail_as_clients_really_write_it_is_taken_in_on_both_databases(
    dovecot: Dovecot, tmp_path: Path, database_url: str
) -> None:
    """Forwards, a broken nested part, unknown and mislabelled charsets, a UTF-8 address."""
    config = write_config(tmp_path / "config.yaml")
    runtime = build_runtime(config, database_url, migrate=True)
    names = [
        "gmail_forward.eml",
        "nested_boundary_error.eml",
        "unknown_charset.eml",
        "foxmail_gbk_labelled_gb2312.eml",
        "eai_utf8_sender.eml",
    ]
    dovecot.append(*(fixture(name) for name in names))
    intake = Intake(runtime.engine, runtime.pipeline, "email")
    async with polling(email_adapter(dovecot, tmp_path), intake):
        await eventually(lambda: dovecot.count(PROCESSED) == len(names))
    assert dovecot.count(SET_ASIDE) == 0
    with transaction(runtime.engine) as session:
        query = select(Message).where(Message.direction == "in").order_by(Message.id)
        texts = [m.text for m in session.exec(query).all()]
        addresses = {c.address for c in session.exec(select(Contact)).all()}
    assert len(texts) == len(names)
    assert "mailto:dédé.suryadi@surel.id" in addresses
    assert "Jalan di Jl. Kenanga RT 04 berlubang besar" in texts[0]
    assert texts[1].startswith("Saluran air di Gang Melati 3 tersumbat")
    assert "dekat Café Melati" in texts[2]
    assert "朱镕基路口的路灯坏了三天" in texts[3]
    assert "ambles sedalam ±30 cm" in texts[4]
