"""Attachments kept by Aduan: what the bytes are, where they are stored, who may read them."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from aduan.api.app import create_app
from aduan.runtime import build_runtime
from channels.contract import SendError
from channels.email import EmailAdapter
from channels.email.config import EmailConfig
from channels.fetching import MediaLimits, MediaRefused, fetch
from channels.message import Attachment, InboundMessage, utcnow
from channels.telegram import TelegramAdapter
from channels.telegram.adapter import TelegramConfig
from channels.twilio import TwilioSmsAdapter
from dispatch.media import media_given_up, media_sender, sniff
from dispatch.media_links import MediaLinks, MediaSettings, link_key
from dispatch.media_store import FolderStore
from dispatch.outbox import OutboxWorker, retry_dead
from storage.complaints import complaint_by_code
from storage.engine import transaction
from storage.models import Message, OutboxItem
from tests.support.deployment import write_config
from tests.support.http_recorder import Recorder

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
PHOTO = b"\xff\xd8\xff\xe0JFIF" + b"\x01" * 200
MEDIA_URL = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM3/Media/ME1"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypheic", "image/heic"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"OggS\x00\x02\x00\x00", "audio/ogg"),
        (b"ID3\x04\x00", "audio/mpeg"),
        (b"\x00\x00\x00\x20ftypM4A ", "audio/mp4"),
        (b"#!AMR\n", "audio/amr"),
    ],
)
def test_kept_types_are_known_by_their_bytes(head: bytes, kind: str) -> None:
    found = sniff(head + b"\x00" * 64)
    assert found is not None and found[0] == kind


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00 an exe",
        b"<html><script>",
        b"\x00\x00\x00\x18ftypmp42 video",
        b"XXXX\x10\x00\x00\x00WEBP not RIFF",
        b"",
    ],
)
def test_anything_else_is_not_kept_whatever_it_claims(data: bytes) -> None:
    assert sniff(data) is None


def test_a_link_holds_for_its_complaint_index_and_time_only() -> None:
    links = MediaLinks(b"k" * 32, "https://aduan.example.go.id", timedelta(hours=72))
    link = links.link("ADU-7K3Q9", 0, NOW)
    assert link.startswith("https://aduan.example.go.id/media/ADU-7K3Q9/0?expires=")
    expires = int((NOW + timedelta(hours=72)).timestamp())
    signature = link.rsplit("signature=", 1)[1]
    assert links.valid("ADU-7K3Q9", 0, expires, signature, NOW)
    assert not links.valid("ADU-7K3Q9", 1, expires, signature, NOW)
    assert not links.valid("ADU-AAAAA", 0, expires, signature, NOW)
    assert not links.valid("ADU-7K3Q9", 0, expires + 3600, signature, NOW)
    assert not links.valid("ADU-7K3Q9", 0, expires, signature, NOW + timedelta(hours=73))
    other = MediaLinks(b"x" * 32, "https://aduan.example.go.id", timedelta(hours=72))
    assert not other.valid("ADU-7K3Q9", 0, expires, signature, NOW)


def test_the_store_keeps_a_file_once_and_serves_nothing_outside_its_folder(
    tmp_path: Path,
) -> None:
    store = FolderStore(tmp_path / "media")
    name = store.save(b"%PDF-1.4 laporan", ".pdf", "application/pdf")
    assert store.save(b"%PDF-1.4 laporan", ".pdf", "application/pdf") == name
    assert [p.name for p in (tmp_path / "media").iterdir()] == [name]
    kept = store.open(name)
    assert kept is not None and b"".join(kept.chunks) == b"%PDF-1.4 laporan" and kept.size == 16
    (tmp_path / "secret.txt").write_text("no")
    (tmp_path / "media" / ".link-key").write_text("k")
    for attack in ("../secret.txt", "/etc/passwd", "..", ".link-key", ".", "../" + name):
        assert store.open(attack) is None


async def test_adapters_fetch_only_their_own_references(tmp_path: Path) -> None:
    twilio = TwilioSmsAdapter(
        TwilioSmsAdapter.Config.model_validate(  # type: ignore[arg-type]
            {
                "account_sid": "AC" + "0" * 32,
                "auth_token": "t",
                "from_number": "+62215550100",
                "public_url": "https://aduan.example.go.id",
            }
        )
    )
    telegram = TelegramAdapter(TelegramConfig(bot_token="1:token"))
    email = EmailAdapter(
        EmailConfig.model_validate(
            {
                "address": "aduan@pemkab-contoh.go.id",
                "imap_host": "127.0.0.1",
                "imap_user": "aduan",
                "imap_password": "x",
                "smtp_host": "127.0.0.1",
                "attachments_dir": str(tmp_path / "attachments"),
            }
        )
    )
    (tmp_path / "passwd").write_text("root")
    refused = [
        (twilio, "https://evil.example/2010-04-01/Accounts/AC" + "0" * 32 + "/Media/ME1"),
        (twilio, "https://api.twilio.com/2010-04-01/Accounts/AC" + "1" * 32 + "/Media/ME1"),
        (telegram, "https://api.telegram.org/file/bot1:token/photos/a.jpg"),
        (telegram, "telegram-file:../../etc/passwd"),
        (email, (tmp_path / "passwd").as_uri()),
        (email, "https://foto.example.id/a.jpg"),
    ]
    for adapter, url in refused:
        with pytest.raises(MediaRefused):
            await adapter.fetch_media(url)


class Provider:
    """A channel's media helper as the sender sees it: serves one file, or refuses."""

    name = "twilio_sms"

    def __init__(self, content: bytes) -> None:
        self.content = content
        self.fetched: list[str] = []

    async def fetch_media(self, url: str) -> tuple[bytes, str]:
        self.fetched.append(url)
        if len(self.content) > 1000:
            raise MediaRefused("media larger than 1000 bytes")
        return self.content, "image/jpeg"


@pytest.mark.parametrize("content", [PHOTO, b"x" * 2000])
async def test_media_are_fetched_after_intake_and_the_dispatch_waits_for_them(
    content: bytes, tmp_path: Path, database_url: str, opd_system: Recorder
) -> None:
    """On both databases: the photo is fetched by the outbox, never in the request; the OPD's
    dispatch is held until it is kept (or refused, and the citizen told), then sent at once."""
    config = write_config(tmp_path / "config.yaml", opd_webhook=opd_system.url)
    config.write_text(
        config.read_text()
        .replace("public_url: null", "public_url: https://aduan.example.go.id")
        .replace("folder: data/media", f"folder: {tmp_path / 'media'}")
    )
    runtime = build_runtime(config, database_url, migrate=True)
    provider = Provider(content)
    url = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1"
    outcome = runtime.pipeline.handle(
        InboundMessage(
            channel="twilio_sms",
            external_id="MM" + "1" * 32,
            sender="tel:+6281234567890",
            text="Jalan berlubang besar di Jl. Merdeka depan pasar, sudah dua minggu",
            attachments=[Attachment(url=url, content_type="image/jpeg")],
        )
    )
    assert outcome.complaint_code and provider.fetched == []  # nothing fetched in the request
    with transaction(runtime.engine) as session:
        items = session.exec(select(OutboxItem).order_by(OutboxItem.id)).all()
        (media,) = [i for i in items if i.kind == "media"]
        (held,) = [i for i in items if i.kind == "dispatch"]
        assert held.next_attempt_at > utcnow() + timedelta(seconds=30)
        payload = dict(media.payload)
    send = media_sender(runtime.engine, {"twilio_sms": provider}, runtime.config.media, runtime.ctx)
    await send({**payload, "idempotency_key": media.idempotency_key})
    assert provider.fetched == [url]
    with transaction(runtime.engine) as session:
        dispatch = session.get(OutboxItem, held.id)
        complaint = complaint_by_code(session, outcome.complaint_code)
        replies = session.exec(select(Message).where(Message.direction == "out")).all()
        assert dispatch is not None and complaint is not None
        assert dispatch.next_attempt_at <= utcnow()  # released at once
        (attachment,) = complaint.attachments
        document = dispatch.payload["document"]
    if content is PHOTO:
        path = tmp_path / "media" / attachment["stored"]
        assert path.read_bytes() == content and attachment["size"] == len(content)
        (link,) = document["attachments"]
        assert link["url"].startswith(f"https://aduan.example.go.id/media/{complaint.code}/0?")
        assert not any("tidak dapat kami simpan" in m.text for m in replies)
    else:
        assert "larger than" in attachment["refused"] and document["attachments"] == []
        assert any("tidak dapat kami simpan" in m.text for m in replies)
    runtime.engine.dispose()


class UnreachableProvider(Provider):
    """A provider whose media host does not answer: the real download, bounded to a second."""

    async def fetch_media(self, url: str) -> tuple[bytes, str]:
        self.fetched.append(url)
        answer = await fetch("http://media.provider.invalid/ME1", MediaLimits(timeout_seconds=1))
        return answer.content, "image/jpeg"


async def test_a_provider_that_does_not_answer_is_retried_not_refused(
    tmp_path: Path, sqlite_url: str
) -> None:
    config = write_config(tmp_path / "config.yaml")
    config.write_text(
        config.read_text()
        .replace("public_url: null", "public_url: https://aduan.example.go.id")
        .replace("folder: data/media", f"folder: {tmp_path / 'media'}")
    )
    runtime = build_runtime(config, sqlite_url, migrate=True)
    url = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM2/Media/ME1"
    outcome = runtime.pipeline.handle(
        InboundMessage(
            channel="twilio_sms",
            external_id="MM" + "2" * 32,
            sender="tel:+6281234567891",
            text="Lampu jalan di Jl. Melati mati sejak seminggu, gelap sekali malam hari",
            attachments=[Attachment(url=url, content_type="image/jpeg")],
        )
    )
    with transaction(runtime.engine) as session:
        (media,) = session.exec(select(OutboxItem).where(OutboxItem.kind == "media")).all()
        payload = dict(media.payload)
    provider = UnreachableProvider(PHOTO)
    send = media_sender(runtime.engine, {"twilio_sms": provider}, runtime.config.media, runtime.ctx)
    with pytest.raises(SendError) as failed:
        await send(payload)
    assert failed.value.retryable and "media download failed" in str(failed.value)
    with transaction(runtime.engine) as session:
        complaint = complaint_by_code(session, str(outcome.complaint_code))
        replies = session.exec(select(Message).where(Message.direction == "out")).all()
        assert complaint is not None
        assert "refused" not in complaint.attachments[0]  # still to be fetched, not given up
        assert not any("tidak dapat kami simpan" in m.text for m in replies)
    runtime.engine.dispose()


def test_the_link_key_is_never_empty_and_every_process_gets_the_same(tmp_path: Path) -> None:
    settings = MediaSettings(folder=tmp_path / "media")
    with ThreadPoolExecutor(8) as pool:  # processes starting at once, each making the key
        keys = set(pool.map(lambda _: link_key(settings, {}), range(16)))
    (key,) = keys
    assert len(key) >= 32 and (tmp_path / "media" / ".link-key").read_bytes().strip() == key
    assert oct((tmp_path / "media" / ".link-key").stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in (tmp_path / "media").iterdir()) == [".link-key"]

    (tmp_path / "media" / ".link-key").write_text("")  # emptied: an empty key signs nothing
    fresh = link_key(settings, {})
    assert fresh and fresh != key
    forged = MediaLinks(b"", "https://aduan.example.go.id", timedelta(hours=1)).link("ADU-7K3Q9", 0)
    expires, signature = forged.split("expires=")[1].split("&signature=")
    links = MediaLinks(fresh, "https://aduan.example.go.id", timedelta(hours=1))
    assert not links.valid("ADU-7K3Q9", 0, int(expires), signature, utcnow())


class DownProvider(Provider):
    """A provider whose media endpoint keeps failing, as a provider outage does."""

    async def fetch_media(self, url: str) -> tuple[bytes, str]:
        self.fetched.append(url)
        raise SendError("media host answered 502", retryable=True)


async def test_a_media_item_given_up_says_so_on_its_link_and_to_the_citizen(
    tmp_path: Path, database_url: str
) -> None:
    """When every attempt to fetch a photo has failed, the OPD's link answers 410 (not 503
    "not stored yet" forever), the citizen is told once, and a retried download still works."""
    config = write_config(tmp_path / "config.yaml", max_attempts=2, backoff_base_seconds=0.01)
    config.write_text(
        config.read_text()
        .replace("public_url: null", "public_url: https://aduan.example.go.id")
        .replace("folder: data/media", f"folder: {tmp_path / 'media'}")
    )
    runtime = build_runtime(config, database_url, migrate=True)
    code = str(
        runtime.pipeline.handle(
            InboundMessage(
                channel="twilio_sms",
                external_id="MM" + "3" * 32,
                sender="tel:+6281234567892",
                text="Jalan berlubang besar di Jl. Kenanga depan sekolah, sudah sebulan",
                attachments=[Attachment(url=MEDIA_URL, content_type="image/jpeg")],
            )
        ).complaint_code
    )
    links = runtime.ctx.media_links
    assert links is not None
    link = links.link(code, 0).removeprefix("https://aduan.example.go.id")

    def worker(provider: Provider) -> OutboxWorker:
        send = media_sender(
            runtime.engine, {"twilio_sms": provider}, runtime.config.media, runtime.ctx
        )
        given_up = {"media": media_given_up(runtime.ctx)}
        return OutboxWorker(
            runtime.engine, {"media": send}, runtime.ctx.settings, given_up=given_up
        )

    def media_item() -> OutboxItem:
        with transaction(runtime.engine) as session:
            (item,) = session.exec(select(OutboxItem).where(OutboxItem.kind == "media")).all()
            return item

    down = DownProvider(PHOTO)
    with TestClient(create_app(runtime, {})) as client:
        await worker(down).run_once()
        assert media_item().status == "pending"
        waiting = client.get(link)
        assert waiting.status_code == 503 and waiting.headers["Retry-After"]
        for _ in range(100):  # the second attempt is due within a second
            await asyncio.sleep(0.02)
            await worker(down).run_once()
            if media_item().status == "dead":
                break
        assert len(down.fetched) == 2 and media_item().status == "dead"
        gone = client.get(link)
        assert gone.status_code == 410, gone.text
        assert "could not be fetched" in gone.json()["error"]
        assert "Retry-After" not in gone.headers
        with transaction(runtime.engine) as session:
            replies = session.exec(select(Message).where(Message.direction == "out")).all()
            told = [m for m in replies if "tidak berhasil kami ambil" in m.text]
            dispatch = session.exec(select(OutboxItem).where(OutboxItem.kind == "dispatch")).one()
            assert len(told) == 1 and code in told[0].text
            assert dispatch.next_attempt_at <= utcnow()  # no longer held for the photo
            assert dispatch.payload["document"]["attachments"] == []

        # An operator sends the dead letter again once the provider is back: the photo is kept.
        retry_dead(runtime.engine, media_item().id or 0)
        await worker(Provider(PHOTO)).run_once()
        kept = client.get(link)
        assert kept.status_code == 200 and kept.content == PHOTO
        with transaction(runtime.engine) as session:
            complaint = complaint_by_code(session, code)
            assert complaint is not None and "failed" not in complaint.attachments[0]
    runtime.engine.dispose()


async def test_without_a_public_url_opds_learn_what_is_kept_never_internal_fields(
    tmp_path: Path, sqlite_url: str, opd_system: Recorder
) -> None:
    """No `media.public_url`: the OPD's document says a photo is kept in Aduan, without the
    provider's URL (which needs Aduan's credentials) or the store's file name; a link the
    sender gave on the web form is still passed on."""
    config = write_config(tmp_path / "config.yaml", opd_webhook=opd_system.url)
    config.write_text(config.read_text().replace("folder: data/media", f"folder: {tmp_path}/m"))
    runtime = build_runtime(config, sqlite_url, migrate=True)
    assert runtime.ctx.media_links is None
    code = runtime.pipeline.handle(
        InboundMessage(
            channel="twilio_sms",
            external_id="MM" + "4" * 32,
            sender="tel:+6281234567893",
            text="Jalan berlubang besar di Jl. Anggrek dekat masjid, sudah dua minggu",
            attachments=[Attachment(url=MEDIA_URL, content_type="image/jpeg")],
        )
    ).complaint_code
    web_photo = "https://warga.example.id/foto/lubang.jpg"
    web_code = runtime.pipeline.handle(
        InboundMessage(
            channel="web",
            external_id="w-foto-1",
            sender="web:warga-foto",
            text="Sampah menumpuk di TPS pasar baru sudah seminggu belum diangkut",
            attachments=[Attachment(url=web_photo, content_type="image/jpeg")],
        )
    ).complaint_code

    def documents() -> dict[str, dict]:
        with transaction(runtime.engine) as session:
            items = session.exec(select(OutboxItem).where(OutboxItem.kind == "dispatch")).all()
            return {i.payload["document"]["code"]: i.payload["document"] for i in items}

    kept = {"content_type": "image/jpeg", "kept_in_aduan": True}
    assert documents()[code]["attachments"] == [kept]  # before the photo is fetched
    with transaction(runtime.engine) as session:
        (media,) = session.exec(select(OutboxItem).where(OutboxItem.kind == "media")).all()
        payload = dict(media.payload)
    send = media_sender(
        runtime.engine, {"twilio_sms": Provider(PHOTO)}, runtime.config.media, runtime.ctx
    )
    await send(payload)
    sent = documents()
    assert sent[code]["attachments"] == [{**kept, "size": len(PHOTO)}]
    assert MEDIA_URL not in str(sent[code]) and "stored" not in str(sent[code])
    (web,) = sent[web_code]["attachments"]
    assert web["url"] == web_photo and web["content_type"] == "image/jpeg"
    runtime.engine.dispose()


def test_with_a_public_url_a_link_the_web_sender_gave_stays_theirs(
    tmp_path: Path, sqlite_url: str, opd_system: Recorder
) -> None:
    """With `media.public_url` set, a photo link given on the web channel (the public form's
    own /foto/ link, or any the sender gave) is not fetched by Aduan, so the OPD gets that link
    itself: an Aduan /media link for it would answer "not kept yet" for ever."""
    config = write_config(tmp_path / "config.yaml", opd_webhook=opd_system.url)
    config.write_text(
        config.read_text()
        .replace("public_url: null", "public_url: https://aduan.example.go.id")
        .replace("folder: data/media", f"folder: {tmp_path / 'media'}")
    )
    runtime = build_runtime(config, sqlite_url, migrate=True)
    assert runtime.ctx.media_links is not None
    web_photo = "https://aduan.example.go.id/foto/9f2c4e"
    code = runtime.pipeline.handle(
        InboundMessage(
            channel="web",
            external_id="w-foto-2",
            sender="web:warga-foto-2",
            text="Sampah menumpuk di TPS pasar baru sudah seminggu belum diangkut",
            attachments=[Attachment(url=web_photo, content_type="image/jpeg")],
        )
    ).complaint_code
    with transaction(runtime.engine) as session:
        items = session.exec(select(OutboxItem).where(OutboxItem.kind == "dispatch")).all()
        (document,) = [
            i.payload["document"] for i in items if i.payload["document"]["code"] == code
        ]
        media = session.exec(select(OutboxItem).where(OutboxItem.kind == "media")).all()
    assert media == []  # nothing for Aduan to fetch
    (photo,) = document["attachments"]
    assert photo["url"] == web_photo and "/media/" not in str(document)
    runtime.engine.dispose()
