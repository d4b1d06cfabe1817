"""Real Bot API updates (fixtures/) -> what Aduan receives: one case per line."""

from __future__ import annotations

import json
from typing import Any

import pytest

from channels.contract import Ignore, InvalidRequest, RawRequest, Unauthenticated
from channels.telegram import TelegramAdapter, TelegramConfig
from channels.telegram.parsing import decode_update, parse_update
from tests.channels.telegram.updates import fixture

CITIZEN = "telegram:1234567890"
STAFF = "telegram:555000111"
GROUP = "telegram:-1001234567890"

CASES: list[tuple[str, dict[str, Any]]] = [
    ("private_start", {"text": "/start", "sender": CITIZEN, "conversation": None}),
    (
        "private_text",
        {
            "external_id": "815000101",
            "text": "Jalan berlubang besar di Jl. Merdeka depan pasar, sudah dua minggu",
            "sender": CITIZEN,
            "sender_name": "Siti Rahma",
            "attachments": [],
        },
    ),
    (
        "private_photo_caption",
        {
            "text": "Lubang di depan pasar Merdeka makin besar",
            "attachments": [
                {
                    "url": "telegram-file:AgACAgUAAxkBAAMFZm90b19sYXJnZQ",
                    "content_type": "image/jpeg",
                    "size": 86201,
                    "name": "AQADl1.jpg",
                }
            ],
        },
    ),
    (
        "private_location",
        {"text": "", "location": {"lat": -6.914744, "lon": 107.60981, "address": None}},
    ),
    (
        "private_venue",
        {
            "text": "",
            "location": {
                "lat": -6.9175,
                "lon": 107.6191,
                "address": "Pasar Baru, Jl. Otto Iskandardinata, Bandung",
            },
        },
    ),
    (
        "private_document",
        {
            "text": "Foto asli tanpa kompresi",
            "attachments": [
                {
                    "url": "telegram-file:BQACAgUAAxkBAAMJZG9rdW1lbg",
                    "content_type": "image/jpeg",
                    "size": 2310042,
                    "name": "IMG_2031.jpg",
                }
            ],
        },
    ),
    # Nothing to file: marked unsupported, for the core to say what it can read.
    ("private_sticker", {"text": "", "location": None, "unsupported": "sticker"}),
    (
        "private_voice",  # kept, for the OPD to listen to (it used to be lost)
        {
            "text": "",
            "attachments": [
                {
                    "url": "telegram-file:AwACAgUAAxkBAAMIdm9pY2U",
                    "content_type": "audio/ogg",
                    "size": 20112,
                    "name": "AgADvo.ogg",
                }
            ],
            "location": None,
        },
    ),
    (
        "private_audio",
        {
            "text": "Rekaman suara knalpot bising tiap malam",
            "attachments": [
                {
                    "url": "telegram-file:CQACAgUAAxkBAAMKYXVkaW8",
                    "content_type": "audio/mpeg",
                    "size": 412877,
                    "name": "knalpot.mp3",
                }
            ],
        },
    ),
    (
        "private_video_note",
        {
            "attachments": [
                {
                    "url": "telegram-file:DQACAgUAAxkBAAMLdmlkbm90ZQ",
                    "content_type": "video/mp4",
                    "size": 1203344,
                    "name": "AgADvn.mp4",
                }
            ]
        },
    ),
    (
        "private_contact",  # "call Pak RT": the name and number are what the citizen meant
        {"text": "Joko Susilo, +6281234567890", "attachments": [], "sender": CITIZEN},
    ),
    ("private_poll", {"text": "", "attachments": [], "unsupported": "poll"}),
    (
        "group_reply",
        {
            "text": "Sudah kami cek, besok pagi ditambal",
            "sender": STAFF,
            "sender_name": "Budi Santoso",
            "conversation": GROUP,
            "reply_to": "-1001234567890:901",
        },
    ),
    (
        "group_command_botname",
        {"text": "/proses ADU-7K3Q9 tim berangkat", "conversation": GROUP, "reply_to": None},
    ),
    (
        "callback_query_group",
        {
            "external_id": "815000114",
            "text": "/selesai ADU-7K3Q9",
            "sender": STAFF,
            "conversation": GROUP,
            "reply_to": "-1001234567890:901",
        },
    ),
    (
        "callback_query_private",
        {"text": "5", "sender": CITIZEN, "conversation": None, "reply_to": "1234567890:120"},
    ),
]

IGNORED = ["edited_message", "channel_post", "group_chatter", "my_chat_member"]


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[c[0] for c in CASES])
def test_update_becomes_one_message(name: str, expected: dict[str, Any]) -> None:
    data = fixture(name)
    (message,) = parse_update(decode_update(json.dumps(data).encode()), "telegram")
    got = message.model_dump(mode="json")
    assert {key: got[key] for key in expected} == expected
    assert message.channel == "telegram" and message.external_id == str(data["update_id"])
    assert message.raw is not None and message.raw["update_id"] == data["update_id"]


@pytest.mark.parametrize("name", IGNORED)
def test_update_aduan_does_not_handle_is_ignored(name: str) -> None:
    with pytest.raises(Ignore):
        parse_update(decode_update(json.dumps(fixture(name)).encode()), "telegram")


def test_update_in_a_shape_the_library_cannot_read_is_skipped_not_fatal() -> None:
    """A poll as older Bot API versions sent it (no persistent ids): skipped, the rest goes on."""
    data = fixture("private_poll")
    for option in data["message"]["poll"]["options"]:
        del option["persistent_id"]
    with pytest.raises(Ignore):
        decode_update(json.dumps(data).encode())


@pytest.mark.parametrize("date", [10**20, 10**14, -(10**14)])
def test_a_date_beyond_any_clock_is_skipped_not_a_crash(date: int) -> None:
    """An overflowing `date` made python-telegram-bot raise OverflowError: a 500, or a poll
    loop stuck on the same update."""
    data = fixture("private_text")
    data["message"]["date"] = date
    adapter = _adapter(webhook_secret="s3cret-Token_1")
    with pytest.raises(Ignore, match="unreadable"):
        adapter.parse(_webhook(json.dumps(data).encode(), "s3cret-Token_1"))


def _adapter(**settings: Any) -> TelegramAdapter:
    return TelegramAdapter(TelegramConfig(bot_token="1:token", **settings))


def _webhook(body: bytes, secret: str | None, path: str = "webhook") -> RawRequest:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return RawRequest("POST", f"http://aduan.test/channels/telegram/{path}", headers, body)


def test_webhook_with_the_secret_is_parsed() -> None:
    adapter = _adapter(webhook_secret="s3cret-Token_1")
    body = json.dumps(fixture("private_text")).encode()
    (message,) = adapter.parse(_webhook(body, "s3cret-Token_1"))
    assert message.sender == CITIZEN


@pytest.mark.parametrize("secret", [None, "", "wrong", "s3cret-Token_"])
def test_webhook_without_the_right_secret_is_refused(secret: str | None) -> None:
    adapter = _adapter(webhook_secret="s3cret-Token_1")
    with pytest.raises(Unauthenticated):
        adapter.parse(_webhook(json.dumps(fixture("private_text")).encode(), secret))


def test_webhook_secret_derived_from_token_differs_per_bot_and_is_valid_for_telegram() -> None:
    one, other = _adapter(), TelegramAdapter(TelegramConfig(bot_token="2:token"))
    assert one.secret_token != other.secret_token
    assert one.secret_token.isalnum() and 1 <= len(one.secret_token) <= 256
    with pytest.raises(Unauthenticated):
        one.parse(_webhook(json.dumps(fixture("private_text")).encode(), other.secret_token))


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"message": {}}', b'{"update_id": "7"}', b"\xff\xfe"]
)
def test_malformed_webhook_body_is_rejected(body: bytes) -> None:
    adapter = _adapter()
    with pytest.raises(InvalidRequest):
        adapter.parse(_webhook(body, adapter.secret_token))


def test_webhook_on_another_path_is_rejected() -> None:
    adapter = _adapter()
    body = json.dumps(fixture("private_text")).encode()
    with pytest.raises(InvalidRequest):
        adapter.parse(_webhook(body, adapter.secret_token, path="other"))


def test_button_press_is_answered_in_the_webhook_response() -> None:
    adapter = _adapter()
    request = _webhook(json.dumps(fixture("callback_query_group")).encode(), adapter.secret_token)
    answer = adapter.respond(request, adapter.parse(request))
    assert answer.status == 200 and answer.content_type == "application/json"
    assert json.loads(answer.body) == {
        "method": "answerCallbackQuery",
        "callback_query_id": "4382bfdwdsb323b2d9",
    }
    plain = _webhook(json.dumps(fixture("private_text")).encode(), adapter.secret_token)
    assert adapter.respond(plain, adapter.parse(plain)).body == b""
