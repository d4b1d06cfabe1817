"""Telegram through a running `aduan serve`, in long-polling and in webhook mode.

The Bot API is the stand-in server (tests/channels/telegram/bot_api.py); Aduan reaches it with
python-telegram-bot exactly as it reaches Telegram: only `api_base_url` differs.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.channels.standins.deployment import rows as deployment_rows
from tests.channels.telegram import updates
from tests.channels.telegram.bot_api import TOKEN, BotApi, Call
from tests.support import deployment
from tests.support.deployment import Server, aduan_env, run_cli, write_config

CITIZEN = 1234567890
STAFF = 555000111
GROUP = -1001234567890
COMPLAINT = "Jalan berlubang besar di Jl. Merdeka depan pasar, sudah dua minggu belum diperbaiki"
CODE = re.compile(r"ADU-[2-9A-HJKMNP-Z]{5}")


@pytest.fixture
def api() -> Iterator[BotApi]:
    server = BotApi()
    yield server
    server.close()


def telegram_deployment(
    tmp_path: Path, api: BotApi, public_url: str | None = None, **dispatch: Any
) -> Path:
    """The shipped config, with Telegram on, DPUPR's group as its destination and one staff."""
    path = write_config(tmp_path / "config.yaml", **dispatch)
    data = yaml.safe_load(path.read_text())
    section: dict[str, Any] = {
        "enabled": True,
        "api_base_url": api.api_base_url,
        "file_base_url": api.file_base_url,
        "poll_timeout_seconds": 2,
    }
    if public_url:
        section["public_url"] = public_url
    data["channels"]["telegram"] = section
    data["opds"]["DPUPR"]["destinations"] = [
        {"kind": "chat", "channel": "telegram", "address": f"telegram:{GROUP}"}
    ]
    data["staff"] = [{"name": "Budi Santoso", "opd": "DPUPR", "addresses": [f"telegram:{STAFF}"]}]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def serve(
    mode: str, tmp_path: Path, api: BotApi, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> tuple[Server, Path, dict[str, str]]:
    """`aduan serve` with TELEGRAM_BOT_TOKEN set; in webhook mode its public URL is its own."""
    public_url = None
    if mode == "webhook":
        port = deployment.free_port()
        monkeypatch.setattr(deployment, "free_port", lambda: port)  # Server takes this port
        public_url = f"http://127.0.0.1:{port}"
    config = telegram_deployment(tmp_path, api, public_url)
    env = aduan_env(database_url, TELEGRAM_BOT_TOKEN=TOKEN)
    server = Server(config, env, tmp_path)
    if mode == "webhook":
        api.wait_for(lambda: api.webhook, what="setWebhook")
    return server, config, env


def texts_to(api: BotApi, chat_id: int) -> list[str]:
    return [c.params["text"] for c in api.sent(chat_id, "sendMessage")]


def wait_text(api: BotApi, chat_id: int, needle: str) -> Call:
    def found() -> Call | None:
        return next((c for c in api.sent(chat_id) if needle in c.params.get("text", "")), None)

    return api.wait_for(found, what=f"a message to {chat_id} containing {needle!r}")


def attachments_of(database_url: str, code: str) -> str:
    """The complaint's attachment records as stored (the channels' own references)."""
    query = "SELECT attachments FROM complaint WHERE code = :code"
    return str(deployment_rows(database_url, query, code=code)[0]["attachments"])


def opd_view(config: Path, env: dict[str, str], cwd: Path, server: Server, code: str) -> dict:
    token = run_cli(["opd", "token", "DPUPR", "--config", str(config)], env, cwd).stdout.strip()
    response = httpx.get(
        f"{server.url}/api/v1/opd/complaints/{code}",
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return response.json()


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_citizen_reports_staff_act_in_their_group_citizen_hears_back(
    mode: str, sqlite_url: str, tmp_path: Path, api: BotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, config, env = serve(mode, tmp_path, api, monkeypatch, sqlite_url)
    try:
        api.push(updates.text(CITIZEN, "/start"))
        wait_text(api, CITIZEN, "Selamat datang")

        # The citizen: a photo with the complaint as its caption, then the location.
        report = api.push(updates.photo(api, CITIZEN, caption=COMPLAINT))
        largest = report["message"]["photo"][-1]["file_id"]
        ack = wait_text(api, CITIZEN, "Kode:")
        code = CODE.search(ack.params["text"]).group(0)  # type: ignore[union-attr]
        api.push(updates.location(CITIZEN, -6.914744, 107.60981))

        # The OPD's group: the photo (by Telegram's own file id) and the post with buttons.
        post = wait_text(api, GROUP, code)
        assert [c.params["photo"] for c in api.sent(GROUP, "sendPhoto")] == [largest]
        keyboard = json.loads(post.params["reply_markup"])["inline_keyboard"]
        payloads = [button["callback_data"] for row in keyboard for button in row]
        assert f"/proses {code}" in payloads and f"/selesai {code}" in payloads

        view = api.wait_for(
            lambda: (v := opd_view(config, env, tmp_path, server, code))["location"]["lat"] and v,
            what="the location joined to the complaint",
        )
        assert view["location"]["lat"] == -6.914744 and view["location"]["lon"] == 107.60981
        # Kept by Telegram's own file id; the OPD (no media.public_url) is told it is kept
        # in Aduan, never given the bot's file reference.
        assert view["attachments"][0]["kept_in_aduan"] and "url" not in view["attachments"][0]
        assert largest in attachments_of(sqlite_url, code) and largest not in json.dumps(view)

        # A staff member replies to the post, then presses "resolved".
        carrier = updates.bot_message(post.result)
        reply = api.push(
            updates.group_reply(GROUP, STAFF, "Sudah kami cek, besok pagi ditambal", carrier)
        )
        wait_text(api, CITIZEN, "besok pagi ditambal")
        press = api.push(updates.button_press(STAFF, carrier, f"/selesai {code}"))
        wait_text(api, CITIZEN, "Selesai")
        answered = api.wait_for(
            lambda: [c for c in api.calls if c.method == "answerCallbackQuery" and c.status == 200],
            what="answerCallbackQuery",
        )
        assert answered[0].params["callback_query_id"] == press["callback_query"]["id"]
        assert opd_view(config, env, tmp_path, server, code)["status"] == "resolved"

        # The same updates delivered again change nothing.
        before = len(api.sent())
        if mode == "webhook":
            api.redeliver(reply)
            api.redeliver(press)
            api.wait_for(
                lambda: [d for d in api.webhook_deliveries if d.update_id == press["update_id"]][
                    1:
                ],
                what="the redelivery",
            )
        else:
            # Telegram offers again what was never confirmed; a restarted poller resumes at
            # the offset committed with the messages, so it confirms them without a second look.
            server.stop()
            seen = len(api.calls)
            api.redeliver(reply)
            api.redeliver(press)
            server = Server(config, env, tmp_path)
            api.wait_for(
                lambda: [
                    c
                    for c in api.calls[seen:]
                    if c.method == "getUpdates"
                    and int(c.params.get("offset", 0)) > press["update_id"]
                ],
                what="getUpdates from the committed offset",
            )
        time.sleep(1.5)  # give a wrong second send every chance to show up
        assert len(api.sent()) == before
        methods = {c.method for c in api.calls}
        if mode == "webhook":
            assert "getUpdates" not in methods
            assert api.webhook == {
                "url": f"{server.url}/channels/telegram/webhook",
                "secret_token": api.webhook["secret_token"],
            }
        else:
            assert "getUpdates" in methods and api.webhook is None
        assert TOKEN not in server.output()
    finally:
        server.stop()


def test_a_voice_note_joins_the_complaint_and_a_shared_contact_is_answered(
    sqlite_url: str, tmp_path: Path, api: BotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Voice notes and contact cards used to arrive empty: the voice lost, the card unread."""
    server, config, env = serve("polling", tmp_path, api, monkeypatch, sqlite_url)
    try:
        api.push(updates.text(CITIZEN, COMPLAINT))
        ack = wait_text(api, CITIZEN, "Kode:")
        code = CODE.search(ack.params["text"]).group(0)  # type: ignore[union-attr]
        note = api.push(updates.voice(api, CITIZEN))["message"]["voice"]
        view = api.wait_for(
            lambda: (v := opd_view(config, env, tmp_path, server, code))["attachments"] and v,
            what="the voice note joined to the complaint",
        )
        (attachment,) = view["attachments"]
        assert attachment["kept_in_aduan"] and "url" not in attachment
        assert f"telegram-file:{note['file_id']}" in attachments_of(sqlite_url, code)
        assert attachment["content_type"] == "audio/ogg"

        answered = len(texts_to(api, CITIZEN))
        api.push(updates.shared_contact(CITIZEN, "Joko", "+6281234567890"))
        api.wait_for(lambda: len(texts_to(api, CITIZEN)) > answered, what="an answer to the card")
        stored = deployment_rows(sqlite_url, "SELECT text FROM message WHERE direction = 'in'")
        assert "Joko, +6281234567890" in [row["text"] for row in stored]
    finally:
        server.stop()


def test_webhook_with_wrong_secret_is_refused_and_nothing_is_stored(
    sqlite_url: str, tmp_path: Path, api: BotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, config, env = serve("webhook", tmp_path, api, monkeypatch, sqlite_url)
    try:
        update = {"update_id": 999, **updates.text(CITIZEN, COMPLAINT)}
        url = f"{server.url}/channels/telegram/webhook"
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "not-the-secret"}):
            response = httpx.post(url, json=update, headers=headers)
            assert response.status_code == 403
        listed = run_cli(["complaints", "list", "--json", "--config", str(config)], env, tmp_path)
        assert listed.stdout.strip() in ("[]", "")
        assert not api.sent(CITIZEN)
        good = {"X-Telegram-Bot-Api-Secret-Token": api.webhook["secret_token"]}
        assert httpx.post(url, json=update, headers=good).status_code == 200
        wait_text(api, CITIZEN, "Kode:")

        # What the bot cannot read gets a friendly answer, never a crash.
        sticker = updates.fixture("private_sticker")
        del sticker["update_id"]
        api.push(sticker)
        wait_text(api, CITIZEN, "belum dapat kami baca")  # not "Pesan Anda kosong"
    finally:
        server.stop()


def test_flood_control_waits_retry_after_and_blocked_citizen_is_not_retried(
    sqlite_url: str, tmp_path: Path, api: BotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, config, env = serve("polling", tmp_path, api, monkeypatch, sqlite_url)
    try:
        api.fail_next(
            "sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2, chat_id=CITIZEN
        )
        api.push(updates.text(CITIZEN, COMPLAINT))
        wait_text(api, CITIZEN, "Kode:")
        first, second = api.attempts(CITIZEN)[:2]
        assert first.status == 429 and second.status == 200
        assert second.at - first.at >= 2

        blocked = CITIZEN + 1
        api.block(blocked)
        api.push(updates.text(blocked, COMPLAINT))
        api.wait_for(lambda: api.attempts(blocked), what="the send to the blocked citizen")
        dead = api.wait_for(
            lambda: (
                (
                    out := run_cli(
                        ["outbox", "list", "--dead", "--config", str(config)], env, tmp_path
                    ).stdout
                )
                and "blocked" in out
                and out
            ),
            what="a dead letter",
        )
        assert "attempts=1" in dead
        api.push(updates.text(blocked, "/status"))
        api.push(updates.text(CITIZEN, "/help"))
        wait_text(api, CITIZEN, "Cara melapor")  # the worker is alive and past the blocked one
        assert len(api.attempts(blocked)) == 1
    finally:
        server.stop()
