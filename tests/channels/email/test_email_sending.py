"""What Aduan's mail looks like when a real SMTP server receives it: threaded, marked automatic."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.contract import SendError
from channels.email import EmailAdapter
from channels.email.config import EmailConfig
from channels.message import Attachment, Button, Location, OutboundMessage
from tests.channels.email.servers import ADDRESS, MailCatcher
from tests.support.deployment import free_port

CITIZEN = "siti.rahma@gmail.com"
CITIZEN_MAIL_ID = "CAJ8x2kP0sQ9n4vN7Zr1a@mail.gmail.com"


def adapter(tmp_path: Path, smtp_port: int) -> EmailAdapter:
    config = EmailConfig(
        address=ADDRESS,
        display_name="Layanan Pengaduan",
        imap_host="127.0.0.1",
        imap_user=ADDRESS,
        imap_password="unused",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
        attachments_dir=tmp_path / "attachments",
    )
    return EmailAdapter(config)


def outbound(**fields: object) -> OutboundMessage:
    values: dict[str, object] = {
        "channel": "email",
        "recipient": f"mailto:{CITIZEN}",
        "text": "Laporan diterima. Kode: ADU-7K3Q9.",
        "complaint_code": "ADU-7K3Q9",
        "idempotency_key": "ack:ADU-7K3Q9",
        **fields,
    }
    return OutboundMessage.model_validate(values)


async def test_acknowledgement_is_a_threaded_automatic_reply(
    tmp_path: Path, smtp: MailCatcher
) -> None:
    result = await adapter(tmp_path, smtp.port).send(outbound(reply_to=CITIZEN_MAIL_ID))
    (mail,) = smtp.wait_for(CITIZEN, 1)
    assert mail["Message-ID"] == f"<{result.external_id}>"
    assert result.external_id and result.external_id.endswith("@pemkab-contoh.go.id")
    assert mail["In-Reply-To"] == f"<{CITIZEN_MAIL_ID}>"
    assert f"<{CITIZEN_MAIL_ID}>" in mail["References"]
    assert mail["Subject"] == "Re: [ADU-7K3Q9] Laporan pengaduan"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert str(mail["From"]) == f"Layanan Pengaduan <{ADDRESS}>"
    assert smtp.received[0].sender == ADDRESS  # a real envelope sender: bounces come back to us
    assert mail.get_content().strip() == "Laporan diterima. Kode: ADU-7K3Q9."


async def test_later_notices_stay_in_the_same_conversation(
    tmp_path: Path, smtp: MailCatcher
) -> None:
    channel = adapter(tmp_path, smtp.port)
    await channel.send(outbound(reply_to=CITIZEN_MAIL_ID))
    await channel.send(outbound(text="ADU-7K3Q9: Selesai", idempotency_key="status:ADU-7K3Q9:3"))
    ack, notice = smtp.wait_for(CITIZEN, 2)
    shared = set(ack["References"].split()) & set(notice["References"].split())
    assert shared, "the notice must refer to the same thread as the acknowledgement"
    assert "[ADU-7K3Q9]" in notice["Subject"] and ack["Message-ID"] != notice["Message-ID"]


async def test_a_retried_send_repeats_the_same_message_id(
    tmp_path: Path, smtp: MailCatcher
) -> None:
    channel = adapter(tmp_path, smtp.port)
    first = await channel.send(outbound())
    second = await channel.send(outbound())
    assert first.external_id == second.external_id
    assert len({m["Message-ID"] for m in smtp.wait_for(CITIZEN, 2)}) == 1


async def test_opd_post_lists_commands_links_the_map_and_attaches_our_photo(
    tmp_path: Path, smtp: MailCatcher
) -> None:
    channel = adapter(tmp_path, smtp.port)
    photo = tmp_path / "attachments" / "abc.png"
    photo.parent.mkdir()
    photo.write_bytes(b"\x89PNG\r\n\x1a\nfoto")
    outside = tmp_path / "secret.txt"
    outside.write_text("not ours")
    await channel.send(
        outbound(
            recipient="mailto:dpupr@pemkab-contoh.go.id",
            text="Laporan baru ADU-7K3Q9 (Jalan rusak)",
            idempotency_key="dispatch:ADU-7K3Q9:1:0",
            buttons=[Button(label="Selesai", payload="/selesai ADU-7K3Q9")],
            location=Location(lat=-6.9147, lon=107.6098),
            attachments=[
                Attachment(url=photo.as_uri(), content_type="image/png"),
                Attachment(url=outside.as_uri(), content_type="text/plain"),
                Attachment(url="https://kota.example.id/foto/1.jpg", content_type="image/jpeg"),
            ],
        )
    )
    (mail,) = smtp.wait_for("dpupr@pemkab-contoh.go.id", 1)
    assert mail["Subject"] == "[ADU-7K3Q9] Laporan pengaduan"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "- Selesai: /selesai ADU-7K3Q9" in body
    assert "openstreetmap.org/?mlat=-6.9147&mlon=107.6098" in body
    assert "https://kota.example.id/foto/1.jpg" in body
    (attached,) = list(mail.iter_attachments())
    assert attached.get_content_type() == "image/png"
    assert attached.get_content() == photo.read_bytes()


async def test_refused_recipient_is_permanent_and_unreachable(
    tmp_path: Path, smtp: MailCatcher
) -> None:
    smtp.refuse.add(CITIZEN)
    with pytest.raises(SendError) as caught:
        await adapter(tmp_path, smtp.port).send(outbound())
    assert not caught.value.retryable and caught.value.unreachable
    assert "550" in str(caught.value)


async def test_smtp_server_down_is_retryable(tmp_path: Path) -> None:
    with pytest.raises(SendError) as caught:
        await adapter(tmp_path, free_port()).send(outbound())
    assert caught.value.retryable and not caught.value.unreachable


async def test_non_mail_recipient_is_refused_without_retry(
    tmp_path: Path, smtp: MailCatcher
) -> None:
    with pytest.raises(SendError) as caught:
        await adapter(tmp_path, smtp.port).send(outbound(recipient="telegram:12345"))
    assert not caught.value.retryable and not smtp.received


async def test_an_internationalised_address_is_answered(tmp_path: Path, smtp: MailCatcher) -> None:
    """A citizen who wrote from `dédé.suryadi@surel.id` (RFC 6532) gets the answer there."""
    citizen = "dédé.suryadi@surel.id"
    await adapter(tmp_path, smtp.port).send(outbound(recipient=f"mailto:{citizen}"))
    (mail,) = smtp.wait_for(citizen, 1)
    assert str(mail["To"]) == citizen  # raw UTF-8 in the header, as RFC 6532 has it
    assert "ADU-7K3Q9" in mail.get_content()
