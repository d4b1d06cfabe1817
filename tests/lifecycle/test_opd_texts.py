"""What OPDs and supervisors read comes from the templates: emailed complaints, SLA notices."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from aduan.config import load_config
from aduan.runtime import Runtime, build_runtime
from channels.message import InboundMessage
from dispatch.destinations import ChatDestination
from dispatch.outbox import OutboxWorker
from dispatch.senders import destination_senders
from dispatch.sla import SlaTimer
from tests.channels.email.servers import MailCatcher
from tests.lifecycle.test_sla import add_complaint, chat_texts
from tests.support.deployment import write_config

DPUPR_MAIL = "dpupr@pemkab-contoh.go.id"
POTHOLE = "Jalan berlubang besar di Jl. Merdeka km 3,\nmotor sering jatuh"


@pytest.fixture
def smtp() -> Iterator[MailCatcher]:
    catcher = MailCatcher()
    yield catcher
    catcher.close()


def deployment(tmp_path: Path, database_url: str, edit: Any) -> Runtime:
    """The shipped config with DPUPR mailed, changed by `edit(data)`."""
    path = write_config(tmp_path / "config.yaml")
    data = yaml.safe_load(path.read_text())
    data["opds"]["DPUPR"]["destinations"] = [{"kind": "email", "address": DPUPR_MAIL}]
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return build_runtime(path, database_url, migrate=True)


def mail_the_pothole(runtime: Runtime, smtp: MailCatcher) -> str:
    """File a pothole complaint on the web, send what the outbox holds for email: the body."""
    runtime.pipeline.handle(
        InboundMessage(channel="web", external_id="m-1", sender="web:warga-1", text=POTHOLE)
    )
    env = {"ADUAN_SMTP_HOST": "127.0.0.1", "ADUAN_SMTP_PORT": str(smtp.port)}
    asyncio.run(
        OutboxWorker(runtime.engine, destination_senders(env), runtime.ctx.settings).run_once()
    )
    (mail,) = smtp.wait_for(DPUPR_MAIL, 1)
    return str(mail.get_content()).replace("\r\n", "\n")  # SMTP's line ends


@pytest.mark.parametrize(
    ("language", "labels", "lines"),
    [
        (
            "id",
            ["Kode laporan", "Kategori", "Instansi", "Target selesai"],
            [
                "Lokasi: -",
                "",
                "Jalan berlubang besar di Jl. Merdeka km 3,",
                "motor sering jatuh",
                "",
                "Balas email ini untuk menjawab warga. Perintah di baris pertama: /proses, "
                "/selesai catatan, /tolak alasan.",
            ],
        ),
        (
            "en",
            ["Complaint code", "Category", "Agency", "Due"],
            [
                "Location: -",
                "",
                "Jalan berlubang besar di Jl. Merdeka km 3,",
                "motor sering jatuh",
                "",
                "Reply to this email to answer the citizen. Commands on the first line: "
                "/proses, /selesai note, /tolak reason.",
            ],
        ),
    ],
)
def test_the_opd_email_is_written_in_the_instance_language_line_by_line(
    tmp_path: Path,
    database_url: str,
    smtp: MailCatcher,
    language: str,
    labels: list[str],
    lines: list[str],
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["instance"]["default_language"] = language

    runtime = deployment(tmp_path, database_url, edit)
    body = mail_the_pothole(runtime, smtp).splitlines()
    assert [line.split(": ")[0] for line in body[:4]] == labels
    assert body[0].split(": ")[1].startswith("ADU-")
    assert body[2] == f"{labels[2]}: Dinas Pekerjaan Umum dan Penataan Ruang"
    assert body[4:] == lines


def test_a_deployment_rewords_the_opd_email_in_its_config(
    tmp_path: Path, database_url: str, smtp: MailCatcher
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["templates"]["id"]["opd_email"] = "Yth. {opd},\n\n{text}\n\nLokasi: {location}\n"

    runtime = deployment(tmp_path, database_url, edit)
    assert mail_the_pothole(runtime, smtp) == (
        f"Yth. Dinas Pekerjaan Umum dan Penataan Ruang,\n\n{POTHOLE}\n\nLokasi: -\n"
    )


def test_sla_notices_are_the_config_templates(tmp_path: Path, database_url: str) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["templates"]["id"]["sla_reminder"] = "Ingat {code}: tempo {due} ({status})."
        data["templates"]["id"]["sla_escalation"] = "Telat {late} jam ke-{n}: {code}."

    runtime = deployment(tmp_path, database_url, edit)
    chat = ChatDestination(kind="chat", channel="console", address="dpupr-group")
    ctx = replace(runtime.ctx, destinations={**runtime.ctx.destinations, "DPUPR": [chat]})
    t0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    add_complaint(runtime.engine, "ADU-TTTT7", created=t0)
    timer = SlaTimer(runtime.engine, ctx)
    timer.tick(t0 + timedelta(hours=43))
    timer.tick(t0 + timedelta(hours=51))
    assert chat_texts(runtime.engine, "dpupr-group") == [
        "Ingat ADU-TTTT7: tempo 04-03-2026 08:00 WIB (Diteruskan ke instansi).",
        "Telat 3 jam ke-1: ADU-TTTT7.",
    ]


def test_a_config_without_the_opd_texts_gets_each_languages_own(tmp_path: Path) -> None:
    path = write_config(tmp_path / "config.yaml")
    data = yaml.safe_load(path.read_text())
    for texts in data["templates"].values():
        for name in ("sla_reminder", "sla_escalation", "opd_email"):
            del texts[name]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    templates = load_config(path).templates
    assert templates["id"].sla_reminder.startswith("Pengingat: laporan {code}")
    assert templates["en"].sla_reminder.startswith("Reminder: complaint {code}")
    assert templates["en"].sla_escalation.startswith("Escalation #{n}: complaint {code}")
    assert templates["en"].opd_email.startswith("Complaint code: {code}\nCategory: {category}\n")
    assert templates["id"].opd_email.endswith("/tolak alasan.\n")
