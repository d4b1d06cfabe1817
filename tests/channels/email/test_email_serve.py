"""The email channel inside a running `aduan serve`, against real Dovecot and SMTP servers."""

from __future__ import annotations

import json
import re
import signal
import time
from email.message import EmailMessage
from pathlib import Path

import yaml

from tests.channels.email.servers import ADDRESS, PASSWORD, Dovecot, MailCatcher
from tests.support.deployment import Server, aduan_env, run_cli, write_config

FIXTURES = Path(__file__).parent / "fixtures"
PROCESSED, AUTOMATIC, SET_ASIDE = "Aduan/Diproses", "Aduan/Otomatis", "Aduan/Disisihkan"
CITIZEN = "siti.rahma@gmail.com"
OPD_MAILBOX = "dpupr@pemkab-contoh.go.id"
STAFF = "budi.santoso@dpupr.pemkab-contoh.go.id"
CODE = re.compile(r"\[(ADU-[0-9A-Z]{5})\]")


def email_deployment(tmp_path: Path, dovecot: Dovecot, smtp: MailCatcher) -> Path:
    """The shipped config with the email channel on, and DPUPR receiving complaints by email
    through it (a `chat` destination on the `email` channel), with Budi as DPUPR staff."""
    path = write_config(tmp_path / "config.yaml", backoff_base_seconds=0.5, backoff_max_seconds=2)
    data = yaml.safe_load(path.read_text())
    data["channels"]["email"] = {
        "address": ADDRESS,
        "display_name": "Layanan Pengaduan",
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.port,
        "imap_security": "none",
        "imap_user": ADDRESS,
        "reconnect_max_seconds": 2,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_security": "none",
        "attachments_dir": str(tmp_path / "attachments"),
    }
    data["opds"]["DPUPR"]["destinations"] = [
        {"kind": "chat", "channel": "email", "address": f"mailto:{OPD_MAILBOX}"}
    ]
    data["staff"] = [{"name": "Budi", "opd": "DPUPR", "addresses": [f"mailto:{STAFF}"]}]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def serve(tmp_path: Path, config: Path, database_url: str) -> tuple[Server, dict[str, str]]:
    env = aduan_env(database_url, ADUAN_EMAIL_IMAP_PASSWORD=PASSWORD)
    return Server(config, env, tmp_path), env


def complaints(config: Path, env: dict[str, str], cwd: Path) -> list[dict]:
    listed = run_cli(
        ["complaints", "list", "--json", "--limit", "1000", "--config", str(config)], env, cwd
    )
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def status_of(code: str, config: Path, env: dict[str, str], cwd: Path) -> str:
    return next(c["status"] for c in complaints(config, env, cwd) if c["code"] == code)


def reply(to: EmailMessage, sender: str, text: str) -> bytes:
    """A reply as Outlook writes it: RE: subject, threading headers, the original quoted below."""
    mail = EmailMessage()
    mail["From"] = f"Budi Santoso <{sender}>"
    mail["To"] = str(to["From"])
    mail["Subject"] = f"RE: {to['Subject']}"
    mail["Message-ID"] = f"<reply-{time.monotonic_ns()}@dpupr.pemkab-contoh.go.id>"
    mail["In-Reply-To"] = to["Message-ID"]
    mail["References"] = f"{to.get('References', '')} {to['Message-ID']}".strip()
    original = to.get_body(preferencelist=("plain",)).get_content()
    mail.set_content(
        f"{text}\n\nSalam,\nBudi\n\n________________________________\n"
        f"From: {to['From']}\nSent: Tuesday, November 24, 2026 9:00 AM\n"
        f"To: {to['To']}\nSubject: {to['Subject']}\n\n{original}"
    )
    return bytes(mail)


def citizen_mail(number: int) -> bytes:
    return (
        f"From: Warga {number} <warga{number}@example.id>\n"
        f"To: {ADDRESS}\nSubject: Laporan {number}\n"
        f"Message-ID: <laporan-{number}@example.id>\n"
        f"Content-Type: text/plain; charset=utf-8\n\n"
        f"Jalan berlubang besar di gang {number} dekat pasar, sudah dua minggu.\n"
    ).encode()


def test_citizen_mail_to_resolution_by_staff_reply_all_threaded(
    database_url: str, tmp_path: Path, dovecot: Dovecot, smtp: MailCatcher
) -> None:
    config = email_deployment(tmp_path, dovecot, smtp)
    server, env = serve(tmp_path, config, database_url)
    try:
        dovecot.append((FIXTURES / "gmail_alternative.eml").read_bytes())

        (ack,) = smtp.wait_for(CITIZEN, 1)
        citizen_mail_id = "<CAJ8x2kP0sQ9n4vN7Zr1a+7rW3T=eQfY1qk8mA0bXh6cD-ug@mail.gmail.com>"
        assert ack["In-Reply-To"] == citizen_mail_id
        assert citizen_mail_id in ack["References"]
        code = CODE.search(ack["Subject"]).group(1)  # type: ignore[union-attr]
        assert code in ack.get_content() and "Dinas Pekerjaan Umum" in ack.get_content()
        assert ack["Auto-Submitted"] == "auto-replied"

        (post,) = smtp.wait_for(OPD_MAILBOX, 1)
        assert f"[{code}]" in post["Subject"]
        body = post.get_body(preferencelist=("plain",)).get_content()
        assert "Jl. Merdeka depan pasar" in body and f"/selesai {code}" in body
        assert CITIZEN not in body  # the OPD never sees the citizen's address

        # Someone who merely got hold of the mail cannot close the complaint.
        dovecot.append(reply(post, "orang.lain@gmail.com", "/selesai sudah diperbaiki"))
        dovecot.wait_for(PROCESSED, 2)
        assert status_of(code, config, env, tmp_path) == "routed"

        dovecot.append(reply(post, STAFF, "/selesai sudah diperbaiki"))

        ack, resolution = smtp.wait_for(CITIZEN, 2)
        text = resolution.get_content()
        assert code in text and "Selesai" in text and "sudah diperbaiki" in text
        assert "Laporan baru" not in text and "From:" not in text  # the quoted original is cut
        assert f"[{code}]" in resolution["Subject"]
        shared = set(ack["References"].split()) & set(resolution["References"].split())
        assert shared, "the resolution must be in the acknowledgement's conversation"

        (confirmation,) = smtp.wait_for(STAFF, 1)
        assert confirmation["In-Reply-To"].startswith("<reply-")
        assert code in confirmation.get_content()
        dovecot.wait_for(PROCESSED, 3)
    finally:
        server.stop()
    assert status_of(code, config, env, tmp_path) == "resolved"


def test_killed_in_the_middle_of_200_mails_every_mail_is_one_complaint(
    sqlite_url: str, tmp_path: Path, dovecot: Dovecot, smtp: MailCatcher
) -> None:
    config = email_deployment(tmp_path, dovecot, smtp)
    dovecot.append(*(citizen_mail(n) for n in range(200)))
    server, env = serve(tmp_path, config, sqlite_url)
    try:
        dovecot.wait_for(PROCESSED, 20, timeout=60)
    finally:
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
    taken = dovecot.count(PROCESSED)
    assert 0 < taken < 200, f"killed too late to prove anything ({taken} taken)"

    server, env = serve(tmp_path, config, sqlite_url)
    try:
        dovecot.wait_for(PROCESSED, 200, timeout=120)
        assert dovecot.count("INBOX") == 0
        smtp.wait_for("warga199@example.id", 1, timeout=60)
    finally:
        server.stop()
    filed = complaints(config, env, tmp_path)
    assert len(filed) == 200
    assert len({c["code"] for c in filed}) == 200
    # Acks the killed worker had claimed go out when their lease expires; a send cut off by
    # the kill may be repeated, but as the same mail (the same Message-ID).
    for number in range(200):
        acks = smtp.to(f"warga{number}@example.id")
        assert len({m["Message-ID"] for m in acks}) <= 1, acks


def test_dovecot_restarted_while_aduan_runs(
    sqlite_url: str, tmp_path: Path, dovecot: Dovecot, smtp: MailCatcher
) -> None:
    config = email_deployment(tmp_path, dovecot, smtp)
    server, env = serve(tmp_path, config, sqlite_url)
    try:
        dovecot.append(citizen_mail(1))
        smtp.wait_for("warga1@example.id", 1)

        dovecot.stop()
        deadline = time.monotonic() + 30
        while server.output().count("reconnecting") < 2:  # it keeps trying while down
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.1)
        dovecot.start()
        dovecot.append(citizen_mail(2))
        smtp.wait_for("warga2@example.id", 1)
        assert "ConnectionRefusedError" in server.output()
    finally:
        server.stop()
    assert len(complaints(config, env, tmp_path)) == 2


def test_robots_get_no_answer_and_bad_mail_is_set_aside_before_the_next_good_one(
    sqlite_url: str, tmp_path: Path, dovecot: Dovecot, smtp: MailCatcher
) -> None:
    config = email_deployment(tmp_path, dovecot, smtp)
    huge = EmailMessage()
    huge["From"] = "Warga Besar <besar@example.id>"
    huge["Message-ID"] = "<huge-1@example.id>"
    huge["Subject"] = "Foto banjir"
    huge.set_content("Banjir setinggi lutut di Jl. Sudirman, foto terlampir.")
    huge.add_attachment(b"\xff\xd8\xff" * 7_500_000, maintype="image", subtype="jpeg")
    assert len(bytes(huge)) > 30_000_000
    dovecot.append(
        (FIXTURES / "out_of_office.eml").read_bytes(),
        (FIXTURES / "bounce.eml").read_bytes(),
        bytes(huge),
        (FIXTURES / "malformed.eml").read_bytes(),
        (FIXTURES / "latin1.eml").read_bytes(),
    )
    server, env = serve(tmp_path, config, sqlite_url)
    try:
        (ack,) = smtp.wait_for("jose.hutapea@yahoo.co.id", 1)
        assert "Kode" in ack.get_content()
        dovecot.wait_for(PROCESSED, 1)
        assert dovecot.count(AUTOMATIC) == 2 and dovecot.count(SET_ASIDE) == 2
        output = server.output()
        assert re.search(r"set aside in Aduan/Disisihkan: \d{8} bytes \(limit", output)
        assert "set aside in Aduan/Disisihkan: malformed MIME" in output
        assert "not answered (Auto-Submitted: auto-replied)" in output
    finally:
        server.stop()
    answered = {r for d in smtp.received for r in d.recipients}
    assert answered == {"jose.hutapea@yahoo.co.id"}  # not Bambang's robot, not the daemon
    (complaint,) = complaints(config, env, tmp_path)
    assert "Café Melati" in complaint["text"]


def test_email_channel_and_opd_email_destination_work_side_by_side(
    sqlite_url: str, tmp_path: Path, dovecot: Dovecot, smtp: MailCatcher
) -> None:
    """Citizens write in by email and DPUPR takes complaints by email through ADUAN_SMTP_HOST:
    the citizen gets the acknowledgement and the OPD its mail (one sender must not displace
    the other)."""
    config = email_deployment(tmp_path, dovecot, smtp)
    data = yaml.safe_load(config.read_text())
    data["opds"]["DPUPR"]["destinations"] = [{"kind": "email", "address": OPD_MAILBOX}]
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    env = aduan_env(
        sqlite_url,
        ADUAN_EMAIL_IMAP_PASSWORD=PASSWORD,
        ADUAN_SMTP_HOST="127.0.0.1",
        ADUAN_SMTP_PORT=str(smtp.port),
        ADUAN_SMTP_FROM="aduan-opd@pemkab-contoh.go.id",
    )
    server = Server(config, env, tmp_path)
    try:
        dovecot.append((FIXTURES / "gmail_alternative.eml").read_bytes())
        (ack,) = smtp.wait_for(CITIZEN, 1)
        code = CODE.search(ack["Subject"]).group(1)  # type: ignore[union-attr]
        assert code in ack.get_content()
        (post,) = smtp.wait_for(OPD_MAILBOX, 1)
        assert f"[{code}]" in post["Subject"]
        assert post["From"] == "aduan-opd@pemkab-contoh.go.id"
        assert "OPD destinations email   on" in server.output()
    finally:
        server.stop()
    assert "KeyError" not in server.output()
