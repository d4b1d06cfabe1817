"""Citizens' photos reach the OPD as Aduan links that work, through a running `aduan serve`.

Telegram (long polling), Twilio MMS and WhatsApp through Meta, each with its provider's
stand-in serving the file the way the provider does (a getFile path, a redirect to storage
behind the account's credentials, a media id resolved with the access token). The OPD's
webhook stand-in receives the complaint; the test downloads each link and compares the bytes
with what the stand-in served.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.channels.standins import graph_api
from tests.channels.standins.base import wait_until
from tests.channels.standins.deployment import COMPLAINT, channel_config, rows
from tests.channels.standins.graph_api import GraphStandIn, contact, message, notification
from tests.channels.standins.twilio_api import TwilioStandIn, inbound_sms
from tests.channels.telegram import updates
from tests.channels.telegram.bot_api import TOKEN, BotApi
from tests.support import deployment
from tests.support.deployment import Server, aduan_env
from tests.support.http_recorder import Recorder

TELEGRAM_CITIZEN = 1234567890
GROUP = -1001234567890
SMS_CITIZEN = "+6281234567890"
WA_CITIZEN = "6289876543210"
PUBLIC_URL = "https://aduan.example.go.id"
LOOPBACK = {"allow_networks": ["127.0.0.0/8"]}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
# Three different problems: the same one thrice would be linked to the first, not sent again.
LAMP = "Lampu penerangan jalan di Jl. Mawar mati sejak seminggu, gelap sekali di malam hari"
TRASH = "Sampah menumpuk di TPS Jl. Sudirman sudah seminggu tidak diangkut, baunya menyengat"
META_JPEG = b"\xff\xd8\xff\xe1Exif" + bytes(reversed(range(256))) * 30


@pytest.fixture
def providers() -> Iterator[tuple[BotApi, TwilioStandIn, GraphStandIn]]:
    api, twilio, graph = BotApi(), TwilioStandIn(), GraphStandIn()
    yield api, twilio, graph
    for standin in (api, twilio, graph):
        standin.close()


@pytest.fixture
def server(
    tmp_path: Path,
    sqlite_url: str,
    providers: tuple[BotApi, TwilioStandIn, GraphStandIn],
    opd_system: Recorder,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Server]:
    api, twilio, graph = providers
    sections: dict[str, dict[str, Any]] = {
        "telegram": {
            "enabled": True,
            "api_base_url": api.api_base_url,
            "file_base_url": api.file_base_url,
            "poll_timeout_seconds": 1,
        },
        "twilio_sms": {
            "enabled": True,
            "from_number": "+62215550100",
            "public_url": PUBLIC_URL,
            "api_base_url": twilio.url,
            "media": LOOPBACK,
        },
        "meta_whatsapp": {
            "enabled": True,
            "phone_number_id": graph_api.PHONE_NUMBER_ID,
            "graph_url": graph.url,
            "api_version": graph_api.VERSION,
            "media": LOOPBACK,
        },
    }
    config = channel_config(tmp_path, sections, opd_system.url, backoff_base_seconds=0.3)
    data = yaml.safe_load(config.read_text())
    for code, opd in data["opds"].items():  # every OPD also has a Telegram group
        if code != "TRIAGE":
            opd["destinations"].append(
                {"kind": "chat", "channel": "telegram", "address": f"telegram:{GROUP}"}
            )
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    port = deployment.free_port()
    monkeypatch.setattr(deployment, "free_port", lambda: port)  # Server takes this port
    text = config.read_text().replace("public_url: null", f"public_url: http://127.0.0.1:{port}")
    config.write_text(text)
    env = aduan_env(
        sqlite_url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TWILIO_ACCOUNT_SID=twilio.account_sid,
        TWILIO_AUTH_TOKEN=twilio.auth_token,
        META_WHATSAPP_ACCESS_TOKEN=graph_api.ACCESS_TOKEN,
        META_WHATSAPP_APP_SECRET=graph_api.APP_SECRET,
        META_WHATSAPP_VERIFY_TOKEN=graph_api.VERIFY_TOKEN,
        ADUAN_MEDIA_SECRET="test-media-secret",
    )
    running = Server(config, env, tmp_path)
    server_output[:] = [running.output]
    twilio.proxy[PUBLIC_URL] = running.url
    yield running
    running.stop()


server_output: list[Any] = []


def documents(opd_system: Recorder, count: int) -> dict[str, dict[str, Any]]:
    """The complaints the OPD received, by the channel they came in on."""
    try:
        received = opd_system.wait_for(count, timeout=40)
    except AssertionError:
        print(server_output[0]())
        raise
    return {r.json()["channel"]: r.json() for r in received}


def test_photos_from_telegram_twilio_and_meta_reach_the_opd_as_working_links(
    server: Server,
    providers: tuple[BotApi, TwilioStandIn, GraphStandIn],
    opd_system: Recorder,
    sqlite_url: str,
) -> None:
    api, twilio, graph = providers
    report = api.push(updates.photo(api, TELEGRAM_CITIZEN, caption=COMPLAINT))
    largest = report["message"]["photo"][-1]["file_id"]
    mms = twilio.add_media(PNG, "image/png")
    answer = twilio.post_webhook(
        f"{PUBLIC_URL}/channels/twilio_sms/inbound",
        inbound_sms(SMS_CITIZEN, LAMP, media=((mms, "image/png"),)),
    )
    assert answer.status_code == 200
    media_id = graph.add_media(META_JPEG, "image/jpeg")
    image = {
        "id": media_id,
        "mime_type": "image/jpeg",
        "sha256": hashlib.sha256(META_JPEG).hexdigest(),
        "caption": TRASH,
    }
    payload = notification(
        messages=[message(WA_CITIZEN, "image", image)], contacts=[contact(WA_CITIZEN)]
    )
    assert graph.post_webhook(f"{server.url}/channels/meta_whatsapp/webhook", payload).is_success

    docs = documents(opd_system, 3)
    served = {"telegram": api.file(largest), "twilio_sms": PNG, "meta_whatsapp": META_JPEG}
    for channel, content in served.items():
        (attachment,) = docs[channel]["attachments"]
        link = attachment["url"]
        assert link.startswith(f"{server.url}/media/{docs[channel]['code']}/0?"), link
        assert "telegram-file:" not in link and twilio.url not in link and graph.url not in link
        download = httpx.get(link)
        assert download.status_code == 200, (channel, download.text)
        assert download.content == content, channel
        assert download.headers["content-type"] == attachment["content_type"]

    # The OPDs' Telegram group: the Telegram photo by its own file id (the same bot), the
    # others by the Aduan link, which Telegram's servers download.
    def photos() -> list[str] | None:
        sent = [str(call.params["photo"]) for call in api.sent(GROUP, "sendPhoto")]
        return sent if len(sent) == 3 else None

    posted = wait_until(photos, timeout=30, what="three photos in the OPD group")
    assert largest in posted
    links = [photo for photo in posted if photo != largest]
    assert sorted(httpx.get(link).content for link in links) == sorted([PNG, META_JPEG])

    # The Twilio media was fetched with the account's credentials, then from storage.
    assert any(f["path"].startswith("/media-storage/") for f in twilio.media_fetches)

    # A link is good only as signed: another index, or a changed signature, is refused.
    link = docs["twilio_sms"]["attachments"][0]["url"]
    assert httpx.get(link.replace("/0?", "/1?")).status_code == 403
    flipped = re.sub(r"signature=(\w)", lambda m: f"signature={'1' if m[1] == '0' else '0'}", link)
    assert flipped != link and httpx.get(flipped).status_code == 403
    expired = re.sub(r"expires=\d+", "expires=1000", link)
    assert httpx.get(expired).status_code == 403

    kept = rows(sqlite_url, "SELECT attachments FROM complaint ORDER BY id")
    assert len(kept) == 3


def test_a_30_mb_attachment_is_refused_with_a_message_and_the_complaint_kept(
    server: Server,
    providers: tuple[BotApi, TwilioStandIn, GraphStandIn],
    opd_system: Recorder,
    sqlite_url: str,
) -> None:
    _, twilio, _ = providers
    huge = twilio.add_media(b"\xff\xd8\xff\xe0JFIF" + b"\x00" * 30_000_000, "image/jpeg")
    answer = twilio.post_webhook(
        f"{PUBLIC_URL}/channels/twilio_sms/inbound",
        inbound_sms(SMS_CITIZEN, COMPLAINT, media=((huge, "image/jpeg"),)),
    )
    assert answer.status_code == 200

    def refusal() -> str | None:
        bodies = [s.get("Body") or "" for s in twilio.sent if s.get("To") == SMS_CITIZEN]
        return next((b for b in bodies if "tidak dapat kami simpan" in b), None)

    text = wait_until(refusal, timeout=40, what="the refusal sent to the citizen")
    (doc,) = [r.json() for r in opd_system.wait_for(1, timeout=40)]
    assert doc["code"] in text and "16 MB" in text
    assert doc["attachments"] == []  # the complaint went to the OPD, without the file
    (complaint,) = rows(sqlite_url, "SELECT code, status FROM complaint")
    assert complaint == {"code": doc["code"], "status": "routed"}


def test_a_telegram_file_over_the_bots_limit_is_refused_with_a_message_not_left_hanging(
    server: Server,
    providers: tuple[BotApi, TwilioStandIn, GraphStandIn],
    opd_system: Recorder,
) -> None:
    """Telegram answers getFile for a file over 20 MB with 400 "file is too big": that is a
    refusal to explain, not an error that left the photo waiting and the citizen untold."""
    api, _, _ = providers
    api.fail_next("getFile", 400, "Bad Request: file is too big")
    document = {
        "file_id": "BQACAgUAAxkBAAIBig",
        "file_unique_id": "AgADig",
        "file_name": "foto-jalan.jpg",
        "mime_type": "image/jpeg",
        "file_size": 30_000_000,
    }
    update = updates._message(
        updates.private_chat(TELEGRAM_CITIZEN),
        updates.person(TELEGRAM_CITIZEN),
        document=document,
        caption=COMPLAINT,
    )
    api.push(update)

    def refusal() -> str | None:
        texts = [str(c.params.get("text") or "") for c in api.sent(TELEGRAM_CITIZEN)]
        return next((t for t in texts if "tidak dapat kami simpan" in t), None)

    text = wait_until(refusal, timeout=40, what="the refusal sent to the citizen")
    (doc,) = [r.json() for r in opd_system.wait_for(1, timeout=40)]
    assert doc["code"] in text and doc["attachments"] == []
