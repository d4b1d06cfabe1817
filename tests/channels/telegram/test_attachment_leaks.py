"""Attachments are data, never paths: no request can make Aduan upload a local file to Telegram.

A running `aduan serve` with DPUPR's Telegram group as its destination; the attacker posts
complaints through the public web endpoint whose attachments name local files. The stand-in
Bot API records every call: none may carry an uploaded file or any byte of those files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from channels.message import Attachment, OutboundMessage
from channels.telegram.adapter import TelegramAdapter, TelegramConfig
from tests.channels.telegram.bot_api import TOKEN, BotApi
from tests.channels.telegram.test_end_to_end import COMPLAINT, GROUP, telegram_deployment
from tests.support.deployment import Server, aduan_env

CANARY = "canary-7f3a91-environment-secret"
PASSWD_LINE = Path("/etc/passwd").read_text().splitlines()[0]
ATTACKS = [
    "telegram-file:/proc/self/environ",
    "telegram-file:/etc/passwd",
    "telegram-file:leak.txt",
    "telegram-file:../leak.txt",
    "/etc/passwd",
    "leak.txt",
    "file:///etc/passwd",
]


@pytest.fixture
def api() -> Iterator[BotApi]:
    server = BotApi()
    yield server
    server.close()


def far_apart(number: int) -> dict[str, float]:
    """A place ~11 km from every other, so no complaint is linked to another as the same."""
    return {"lat": -6.0 - number * 0.1, "lon": 107.6}


def leaked(api: BotApi) -> list[str]:
    """Every Bot API call that uploaded a file or carried the content of a local one."""
    found = []
    for call in list(api.calls):
        for name, value in call.params.items():
            data = value if isinstance(value, bytes) else str(value).encode()
            if isinstance(value, bytes) or any(
                secret.encode() in data for secret in (CANARY, PASSWD_LINE)
            ):
                found.append(f"{call.method}.{name}: {data[:80]!r}")
    return found


def test_web_attachments_naming_local_files_are_refused_and_nothing_reaches_telegram(
    sqlite_url: str, tmp_path: Path, api: BotApi
) -> None:
    (tmp_path / "leak.txt").write_text(f"{CANARY}\n")
    config = telegram_deployment(tmp_path, api)
    env = aduan_env(sqlite_url, TELEGRAM_BOT_TOKEN=TOKEN, ADUAN_LEAK_CANARY=CANARY)
    server = Server(config, env, tmp_path)
    try:
        answers = {
            url: httpx.post(
                f"{server.url}/api/v1/web/messages",
                json={
                    "text": COMPLAINT,
                    "location": far_apart(number),
                    "attachments": [{"url": url, "content_type": "image/jpeg"}],
                },
                headers={"Idempotency-Key": f"attack-{number}"},
            )
            for number, url in enumerate(ATTACKS)
        }

        # A genuine photo link still reaches the group, so the outbox has run past the attacks.
        photo = "https://warga.example.id/foto/lubang.jpg"
        response = httpx.post(
            f"{server.url}/api/v1/web/messages",
            json={
                "text": COMPLAINT,
                "location": far_apart(len(ATTACKS)),
                "attachments": [{"url": photo, "content_type": "image/jpeg"}],
            },
        )
        assert response.status_code == 201, response.text
        code = response.json()["code"]
        api.wait_for(
            lambda: any(code in str(c.params.get("text", "")) for c in api.sent(GROUP)),
            what="the genuine complaint in the OPD group",
        )
        assert leaked(api) == []
        assert [c.params["photo"] for c in api.sent(GROUP, "sendPhoto")] == [photo]
        for url, answer in answers.items():
            assert answer.status_code == 400, (url, answer.text)
            assert "http" in answer.text  # says what an attachment must be
    finally:
        server.stop()


def adapter_for(api: BotApi) -> TelegramAdapter:
    return TelegramAdapter(
        TelegramConfig(
            bot_token=TOKEN, api_base_url=api.api_base_url, file_base_url=api.file_base_url
        )
    )


def outbound(attachments: list[Attachment]) -> OutboundMessage:
    return OutboundMessage(
        channel="telegram",
        recipient=f"telegram:{GROUP}",
        text="ADU-7K3Q9 Jalan berlubang",
        attachments=attachments,
        idempotency_key="dispatch:ADU-7K3Q9:1",
    )


@pytest.mark.parametrize("kind", ["image/jpeg", "application/pdf"])
async def test_stored_attachments_naming_local_files_are_never_uploaded(
    kind: str, api: BotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A complaint already on file (an older version, a restored backup) sends no local file."""
    (tmp_path / "leak.txt").write_text(f"{CANARY}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADUAN_LEAK_CANARY", CANARY)
    adapter = adapter_for(api)
    attachments = [Attachment(url=url, content_type=kind) for url in ATTACKS]
    await adapter.send(outbound(attachments))
    (post,) = api.sent(GROUP, "sendMessage")
    assert post.params["text"].startswith("ADU-7K3Q9")
    assert leaked(api) == []


async def test_telegram_file_ids_and_links_are_still_sent(api: BotApi) -> None:
    api.add_file("AgACAgUAAxkBAAMFbGFyZ2U", b"\xff\xd8 photo", "photos/file_1.jpg")
    await adapter_for(api).send(
        outbound(
            [
                Attachment(url="telegram-file:AgACAgUAAxkBAAMFbGFyZ2U", content_type="image/jpeg"),
                Attachment(url="https://warga.example.id/laporan.pdf"),
            ]
        )
    )
    sent = [c.params for c in api.sent(GROUP)]
    assert sent[0]["photo"] == "AgACAgUAAxkBAAMFbGFyZ2U"
    assert sent[1]["document"] == "https://warga.example.id/laporan.pdf"
    assert leaked(api) == []
