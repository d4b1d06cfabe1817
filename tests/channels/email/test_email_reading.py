"""Mail as real clients write it -> what Aduan takes in, leaves unanswered, or sets aside."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.email.reading import ReadSettings, read_mail
from channels.message import DeliveryReceipt, InboundMessage

FIXTURES = Path(__file__).parent / "fixtures"
OUR_DOMAIN = "pemkab-contoh.go.id"


def read(name: str, tmp_path: Path, **limits: int):
    settings = ReadSettings(
        channel="email",
        own_addresses={f"aduan@{OUR_DOMAIN}"},
        message_id_domain=OUR_DOMAIN,
        attachments_dir=tmp_path,
        **limits,
    )
    return read_mail((FIXTURES / name).read_bytes(), settings)


def inbound(name: str, tmp_path: Path) -> InboundMessage:
    reading = read(name, tmp_path)
    assert reading.verdict == "accept", reading.reason
    (message,) = reading.items
    assert isinstance(message, InboundMessage)
    return message


def test_gmail_multipart_alternative_gives_the_plain_text_without_signature(
    tmp_path: Path,
) -> None:
    message = inbound("gmail_alternative.eml", tmp_path)
    assert message.sender == "mailto:siti.rahma@gmail.com"  # lower-cased for staff matching
    assert message.sender_name == "Siti Rahma"
    assert message.subject == "Jalan berlubang di Jl. Merdeka – mohon segera"  # RFC 2047
    assert message.external_id == "CAJ8x2kP0sQ9n4vN7Zr1a+7rW3T=eQfY1qk8mA0bXh6cD-ug@mail.gmail.com"
    assert "motor yang jatuh – mohon segera" in message.text
    assert "RT 03" not in message.text and "<div" not in message.text
    assert message.reply_to is None


def test_outlook_reply_keeps_the_command_and_cuts_the_quoted_original(tmp_path: Path) -> None:
    message = inbound("outlook_reply.eml", tmp_path)
    assert message.text.splitlines()[0] == "/selesai sudah diperbaiki, lubang ditambal tadi pagi"
    assert "Laporan baru" not in message.text and "From:" not in message.text
    assert message.reply_to == f"dispatch.ADU-7K3Q9.1.0.3f9c2a1b7e4d@{OUR_DOMAIN}"
    assert "[ADU-7K3Q9]" in (message.subject or "")


def test_indonesian_gmail_html_reply_is_reduced_to_the_new_line(tmp_path: Path) -> None:
    message = inbound("gmail_reply_indonesian.eml", tmp_path)
    assert message.text == "STATUS ADU-7K3Q9"
    assert message.reply_to == f"ack.ADU-7K3Q9.5d2e9a0c1b3f@{OUR_DOMAIN}"


def test_iso_8859_1_body_and_headers_are_decoded(tmp_path: Path) -> None:
    message = inbound("latin1.eml", tmp_path)
    assert message.sender_name == "José Hutapea"
    assert message.subject == "Sampah menumpuk dekat Café Melati"
    assert "dekat Café Melati" in message.text and "« sangat mengganggu »" in message.text


def test_image_attachment_is_kept_as_a_stored_file(tmp_path: Path) -> None:
    reading = read("image_attachment.eml", tmp_path)
    (message,) = reading.items
    assert isinstance(message, InboundMessage)
    assert "Dikirim dari iPhone" not in message.text
    (photo,) = message.attachments
    assert (photo.content_type, photo.name) == ("image/png", "IMG_4821.png")
    (data,) = reading.files.values()
    assert data.startswith(b"\x89PNG") and photo.size == len(data)
    assert photo.url == next(iter(reading.files)).resolve().as_uri()


def test_images_beyond_the_limits_are_dropped_and_the_text_kept(tmp_path: Path) -> None:
    reading = read("image_attachment.eml", tmp_path, max_attachment_bytes=10)
    (message,) = reading.items
    assert isinstance(message, InboundMessage)
    assert message.attachments == [] and "Lampu penerangan" in message.text
    assert reading.notes and not reading.files


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("out_of_office.eml", "Auto-Submitted: auto-replied"),
        ("bounce.eml", "Auto-Submitted: auto-replied"),
    ],
)
def test_robots_get_no_answer(fixture: str, reason: str, tmp_path: Path) -> None:
    reading = read(fixture, tmp_path)
    assert (reading.verdict, reading.reason) == ("automatic", reason)
    assert not any(isinstance(item, InboundMessage) for item in reading.items)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Precedence: bulk", "Precedence: bulk"),
        ("Precedence: junk", "Precedence: junk"),
        ("List-Id: <warga.example.id>", "List-Id present"),
        ("List-Unsubscribe: <mailto:leave@example.id>", "List-Unsubscribe present"),
        ("Return-Path: <>", "empty envelope sender (Return-Path: <>)"),
        ("Auto-Submitted: auto-generated", "Auto-Submitted: auto-generated"),
    ],
)
def test_list_and_machine_headers_mean_no_answer(header: str, reason: str, tmp_path: Path) -> None:
    raw = (
        (FIXTURES / "latin1.eml")
        .read_bytes()
        .replace(b"MIME-Version", f"{header}\nMIME-Version".encode(), 1)
    )
    settings = ReadSettings("email", {f"aduan@{OUR_DOMAIN}"}, OUR_DOMAIN, tmp_path)
    reading = read_mail(raw.replace(b"Return-Path: <jose.hutapea@yahoo.co.id>\n", b""), settings)
    assert (reading.verdict, reading.reason) == ("automatic", reason)


@pytest.mark.parametrize(
    ("sender", "reason"),
    [
        ("MAILER-DAEMON@mx.example.id", "robot sender mailer-daemon@…"),
        (f"Aduan@{OUR_DOMAIN}", "sent from our own address"),
        ("auto-reply <Aduan@pemkab-contoh.go.id>", "sent from our own address"),
    ],
)
def test_mailer_daemon_and_our_own_mail_get_no_answer(
    sender: str, reason: str, tmp_path: Path
) -> None:
    raw = (FIXTURES / "latin1.eml").read_bytes()
    raw = raw.replace(
        b"=?iso-8859-1?Q?Jos=E9_Hutapea?= <jose.hutapea@yahoo.co.id>", sender.encode()
    )
    settings = ReadSettings("email", {f"aduan@{OUR_DOMAIN}"}, OUR_DOMAIN, tmp_path)
    reading = read_mail(raw, settings)
    assert (reading.verdict, reading.reason) == ("automatic", reason)


def test_bounce_of_our_mail_marks_it_failed(tmp_path: Path) -> None:
    (receipt,) = read("bounce.eml", tmp_path).items
    assert isinstance(receipt, DeliveryReceipt)
    assert receipt.external_id == f"ack.ADU-7K3Q9.5d2e9a0c1b3f@{OUR_DOMAIN}"
    assert (receipt.state, receipt.error_code) == ("failed", "5.1.1")
    assert "does not exist" in (receipt.error_message or "")


@pytest.mark.parametrize(
    ("status", "unreachable"),
    [("5.1.1", True), ("5.1.2", True), ("5.2.2", False), ("4.4.1", False)],
)
def test_bounce_says_whether_the_address_is_unreachable(
    status: str, unreachable: bool, tmp_path: Path
) -> None:
    """No such mailbox or domain (5.1.x) is permanent; a full mailbox or a timeout is not."""
    raw = (
        (FIXTURES / "bounce.eml")
        .read_bytes()
        .replace(b"Status: 5.1.1", f"Status: {status}".encode())
    )
    settings = ReadSettings("email", {f"aduan@{OUR_DOMAIN}"}, OUR_DOMAIN, tmp_path)
    (receipt,) = read_mail(raw, settings).items
    assert isinstance(receipt, DeliveryReceipt)
    assert (receipt.error_code, receipt.unreachable) == (status, unreachable)


def test_malformed_mime_is_set_aside(tmp_path: Path) -> None:
    reading = read("malformed.eml", tmp_path)
    assert reading.verdict == "set_aside" and "StartBoundaryNotFound" in reading.reason


def test_unknown_charset_is_set_aside(tmp_path: Path) -> None:
    raw = (
        (FIXTURES / "latin1.eml").read_bytes().replace(b"charset=iso-8859-1", b"charset=x-klingon")
    )
    settings = ReadSettings("email", set(), OUR_DOMAIN, tmp_path)
    reading = read_mail(raw, settings)
    assert reading.verdict == "set_aside" and "charset" in reading.reason


def test_thousands_of_parts_are_set_aside(tmp_path: Path) -> None:
    part = b"--b\nContent-Type: text/plain\n\nx\n"
    raw = (
        b"From: a@example.id\nMessage-ID: <many@example.id>\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=b\n\n" + part * 3000 + b"--b--\n"
    )
    reading = read_mail(raw, ReadSettings("email", set(), OUR_DOMAIN, tmp_path))
    assert reading.verdict == "set_aside" and "3001 MIME parts" in reading.reason


def test_mail_without_sender_is_set_aside(tmp_path: Path) -> None:
    raw = b"To: aduan@pemkab-contoh.go.id\nSubject: x\n\njalan rusak\n"
    reading = read_mail(raw, ReadSettings("email", set(), OUR_DOMAIN, tmp_path))
    assert (reading.verdict, reading.reason) == ("set_aside", "no valid From address")


def test_mail_without_message_id_gets_a_stable_content_id(tmp_path: Path) -> None:
    raw = b"From: a@example.id\nSubject: x\n\njalan rusak di gang 3\n"
    settings = ReadSettings("email", set(), OUR_DOMAIN, tmp_path)
    first, second = read_mail(raw, settings).items[0], read_mail(raw, settings).items[0]
    assert isinstance(first, InboundMessage) and isinstance(second, InboundMessage)
    assert first.external_id == second.external_id and first.external_id.startswith("sha256-")


def test_reply_to_prefers_our_message_in_references(tmp_path: Path) -> None:
    raw = (
        b"From: kepala@dpupr.example.id\nMessage-ID: <r1@dpupr.example.id>\n"
        b"In-Reply-To: <fwd-by-colleague@dpupr.example.id>\n"
        b"References: <dispatch.ADU-7K3Q9.1.0.aa@pemkab-contoh.go.id> "
        b"<fwd-by-colleague@dpupr.example.id>\nSubject: Re: Fwd: [ADU-7K3Q9] Laporan\n\n/proses\n"
    )
    (message,) = read_mail(raw, ReadSettings("email", set(), OUR_DOMAIN, tmp_path)).items
    assert isinstance(message, InboundMessage)
    assert message.reply_to == "dispatch.ADU-7K3Q9.1.0.aa@pemkab-contoh.go.id"


def test_a_new_mail_with_only_a_subject_uses_the_subject(tmp_path: Path) -> None:
    raw = b"From: a@example.id\nMessage-ID: <s1@x.id>\nSubject: Lampu jalan mati di Jl. Mawar\n\n"
    (message,) = read_mail(raw, ReadSettings("email", set(), OUR_DOMAIN, tmp_path)).items
    assert isinstance(message, InboundMessage)
    assert message.text == "Lampu jalan mati di Jl. Mawar"


def test_an_empty_reply_does_not_turn_our_subject_into_text(tmp_path: Path) -> None:
    raw = (
        b"From: a@example.id\nMessage-ID: <s2@example.id>\nSubject: Re: [ADU-7K3Q9] Laporan\n"
        b"In-Reply-To: <ack.ADU-7K3Q9.aa@pemkab-contoh.go.id>\n\n"
    )
    (message,) = read_mail(raw, ReadSettings("email", set(), OUR_DOMAIN, tmp_path)).items
    assert isinstance(message, InboundMessage) and message.text == ""
