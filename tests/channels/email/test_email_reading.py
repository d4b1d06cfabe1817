"""Mail as real clients write it -> what Aduan takes in, leaves unanswered, or sets aside."""

from __future__ import annotations

import base64
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


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_gmail_forward_keeps_the_forwarded_mail_and_the_note(
    newline: bytes, tmp_path: Path
) -> None:
    raw = (FIXTURES / "gmail_forward.eml").read_bytes().replace(b"\n", newline)
    (message,) = read_mail(raw, ReadSettings("email", set(), OUR_DOMAIN, tmp_path)).items
    assert isinstance(message, InboundMessage)
    assert message.text.startswith("Mohon ditindaklanjuti, laporan warga kami.")
    assert "Jalan di Jl. Kenanga RT 04 berlubang besar" in message.text
    assert "dua motor jatuh. Mohon diperbaiki." in message.text
    assert "Forwarded message" not in message.text and "From:" not in message.text


def test_gmail_forward_in_html_only_keeps_the_forwarded_mail(tmp_path: Path) -> None:
    raw = (FIXTURES / "gmail_forward.eml").read_bytes()
    boundary = b"--0000000000004e8c1f061aa0b7d2\n"
    head, _plain, html = raw.split(boundary)
    settings = ReadSettings("email", set(), OUR_DOMAIN, tmp_path)
    (message,) = read_mail(head + boundary + html, settings).items
    assert isinstance(message, InboundMessage)
    assert "Jalan di Jl. Kenanga RT 04 berlubang besar" in message.text
    assert "Mohon ditindaklanjuti" in message.text and "Subject:" not in message.text


def test_outlook_forward_keeps_the_forwarded_mail(tmp_path: Path) -> None:
    """Outlook forwards under the same rule and header block as it replies; FW: tells them apart."""
    message = inbound("outlook_forward.eml", tmp_path)
    assert message.text.startswith("Diteruskan untuk ditangani.")
    assert "Lampu penerangan jalan di Jl. Cikutra depan SDN 2 mati" in message.text
    assert "Sent:" not in message.text and "____" not in message.text


def test_outlook_html_forward_without_the_rule_keeps_the_forwarded_mail(tmp_path: Path) -> None:
    raw = (FIXTURES / "outlook_forward.eml").read_bytes().replace(b"_" * 32 + b"\n", b"")
    (message,) = read_mail(raw, ReadSettings("email", set(), OUR_DOMAIN, tmp_path)).items
    assert isinstance(message, InboundMessage)
    assert message.text.startswith("Diteruskan untuk ditangani.")
    assert "Lampu penerangan jalan di Jl. Cikutra depan SDN 2 mati" in message.text


def test_a_reply_under_the_same_rule_still_cuts_the_quote(tmp_path: Path) -> None:
    raw = (FIXTURES / "outlook_forward.eml").read_bytes().replace(b"FW: Lampu", b"RE: Lampu")
    (message,) = read_mail(raw, ReadSettings("email", set(), OUR_DOMAIN, tmp_path)).items
    assert isinstance(message, InboundMessage)
    assert message.text == "Diteruskan untuk ditangani."


def test_a_mail_forwarded_as_an_attachment_keeps_its_text(tmp_path: Path) -> None:
    message = inbound("forward_as_attachment.eml", tmp_path)
    assert message.text.startswith("Laporan warga terlampir.")
    assert "Sampah di TPS Jl. Pahlawan sudah lima hari tidak diangkut" in message.text
    assert message.sender == "mailto:rina.wulandari@kecamatan-cibeunying.go.id"


def test_a_boundary_error_in_one_nested_part_keeps_the_main_text(tmp_path: Path) -> None:
    reading = read("nested_boundary_error.eml", tmp_path)
    assert reading.verdict == "accept", reading.reason
    (message,) = reading.items
    assert isinstance(message, InboundMessage)
    assert message.text.startswith("Saluran air di Gang Melati 3 tersumbat, air meluap")
    assert any("multipart/related" in note for note in reading.notes)


def test_a_boundary_error_around_the_only_text_is_set_aside(tmp_path: Path) -> None:
    raw = (FIXTURES / "nested_boundary_error.eml").read_bytes()
    start = raw.index(b"--Apple-Mail=_6F2D1B0E-3A4C-4B8E-9D7F-0C1A2B3C4D5E\nContent-Transfer")
    end = raw.index(b"--Apple-Mail=_6F2D1B0E-3A4C-4B8E-9D7F-0C1A2B3C4D5E\nContent-Type: multipart")
    reading = read_mail(raw[:start] + raw[end:], ReadSettings("email", set(), OUR_DOMAIN, tmp_path))
    assert reading.verdict == "set_aside" and "StartBoundaryNotFound" in reading.reason


def test_an_unknown_charset_label_is_read_as_utf8(tmp_path: Path) -> None:
    reading = read("unknown_charset.eml", tmp_path)
    assert reading.verdict == "accept", reading.reason
    (message,) = reading.items
    assert isinstance(message, InboundMessage)
    assert message.sender_name == "José Hutapea"
    assert message.subject == "Sampah menumpuk dekat Café Melati"
    assert message.text.startswith("Sampah menumpuk di TPS dekat Café Melati, Jl. Sudirman")


@pytest.mark.parametrize("label", [b"X-UNKNOWN", b"x-klingon", b"utf-8", b"unknown-8bit"])
def test_text_that_fits_no_label_is_detected(label: bytes, tmp_path: Path) -> None:
    """Latin-1 bytes under a label they do not fit: charset-normalizer finds what fits."""
    raw = (FIXTURES / "latin1.eml").read_bytes().replace(b"charset=iso-8859-1", b"charset=" + label)
    reading = read_mail(raw, ReadSettings("email", set(), OUR_DOMAIN, tmp_path))
    (message,) = reading.items
    assert isinstance(message, InboundMessage)
    assert "dekat Café Melati" in message.text and "« sangat mengganggu »" in message.text
    assert any("detected" in note for note in reading.notes)


def test_an_internationalised_sender_address_is_taken(tmp_path: Path) -> None:
    """RFC 6532: the From header in raw UTF-8, local part and display name alike."""
    message = inbound("eai_utf8_sender.eml", tmp_path)
    assert message.sender == "mailto:dédé.suryadi@surel.id"
    assert message.sender_name == "Dédé Suryadi"
    assert "ambles sedalam ±30 cm" in message.text


def test_gbk_text_labelled_gb2312_is_read_whole(tmp_path: Path) -> None:
    """Foxmail and QQ Mail label GBK as gb2312; the characters outside GB 2312 must survive."""
    message = inbound("foxmail_gbk_labelled_gb2312.eml", tmp_path)
    assert message.sender_name == "张喆"
    assert message.subject == "路灯坏了（朱镕基路口）"
    assert "朱镕基路口的路灯坏了三天" in message.text and "张喆" in message.text
    assert "\ufffd" not in message.text + message.subject + message.sender_name


@pytest.mark.parametrize(
    ("label", "written_in", "text"),
    [
        ("iso-8859-1", "cp1252", "“Jalan” di depan pasar rusak – biaya perbaikan €5 juta"),
        ("us-ascii", "cp1252", "Lampu jalan mati … sudah tiga malam “gelap”"),
        ("us-ascii", "utf-8", "Trotoar ambles ±30 cm di depan Café Melati"),
        ("ks_c_5601-1987", "cp949", "똠방각하 도로가 파손되었습니다"),
        ("euc-kr", "cp949", "똠방각하 가로등 고장"),
        ("shift_jis", "cp932", "①道路に大きな穴があります"),
        ("big5", "big5hkscs", "路燈壞了，𨋢口很暗"),
        ("tis-620", "cp874", "ถนนชำรุด… อันตรายมาก"),
        ("iso-8859-9", "cp1254", "Şikayet – “yol” bozuk"),
    ],
)
def test_a_label_naming_a_subset_decodes_with_its_superset(
    label: str, written_in: str, text: str, tmp_path: Path
) -> None:
    raw = (
        f"From: Warga <warga@example.id>\nMessage-ID: <{label}@example.id>\n"
        f"Subject: laporan\nMIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset={label}\nContent-Transfer-Encoding: 8bit\n\n"
    ).encode() + text.encode(written_in)
    (message,) = read_mail(raw, ReadSettings("email", set(), OUR_DOMAIN, tmp_path)).items
    assert isinstance(message, InboundMessage)
    assert message.text == text


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


def test_a_pdf_letter_is_kept_with_the_photo_and_a_zip_is_not(tmp_path: Path) -> None:
    pdf = base64.b64encode(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF").decode()
    raw = (
        "From: Rina <rina@example.id>\nTo: aduan@pemkab-contoh.go.id\n"
        "Subject: Surat pengantar RT\nMessage-ID: <pdf-1@example.id>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b1"\n\n'
        "--b1\nContent-Type: text/plain; charset=utf-8\n\n"
        "Terlampir surat pengantar RT tentang saluran air yang tersumbat.\n"
        '--b1\nContent-Type: application/pdf; name="surat.pdf"\n'
        'Content-Disposition: attachment; filename="surat.pdf"\n'
        f"Content-Transfer-Encoding: base64\n\n{pdf}\n"
        '--b1\nContent-Type: application/zip; name="data.zip"\n'
        "Content-Transfer-Encoding: base64\n\nUEsDBBQAAAAIAA==\n--b1--\n"
    ).encode()
    reading = read_mail(raw, ReadSettings("email", set(), OUR_DOMAIN, tmp_path))
    (message,) = reading.items
    assert isinstance(message, InboundMessage)
    (letter,) = message.attachments
    assert (letter.content_type, letter.name) == ("application/pdf", "surat.pdf")
    assert next(iter(reading.files.values())).startswith(b"%PDF-1.4")
