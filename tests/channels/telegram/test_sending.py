"""Sending through python-telegram-bot to the stand-in Bot API, and classifying its errors."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from channels.contract import SendError
from channels.message import Attachment, Button, Location, OutboundMessage
from channels.telegram import TelegramAdapter, TelegramConfig
from tests.channels.telegram.bot_api import TOKEN, BotApi
from tests.support.deployment import free_port

CITIZEN = 1234567890
GROUP = -1001234567890


@pytest.fixture
def api() -> Iterator[BotApi]:
    server = BotApi()
    yield server
    server.close()


def adapter_for(api: BotApi) -> TelegramAdapter:
    return TelegramAdapter(
        TelegramConfig(
            bot_token=TOKEN, api_base_url=api.api_base_url, file_base_url=api.file_base_url
        )
    )


def outbound(
    recipient: int, text: str = "Laporan diterima. Kode: ADU-7K3Q9", **extra
) -> OutboundMessage:
    return OutboundMessage(
        channel="telegram",
        recipient=f"telegram:{recipient}",
        text=text,
        idempotency_key=extra.pop("key", f"ack:{recipient}:{text[:10]}"),
        **extra,
    )


async def test_text_reaches_the_chat_and_names_the_sent_message(api: BotApi) -> None:
    result = await adapter_for(api).send(outbound(CITIZEN))
    (call,) = api.sent(CITIZEN)
    assert call.params["text"] == "Laporan diterima. Kode: ADU-7K3Q9"
    assert result.external_id == f"{CITIZEN}:{call.result['message_id']}"


async def test_opd_post_has_photo_map_pin_and_buttons_with_the_text_last(api: BotApi) -> None:
    api.add_file("AgACAgUAAxkBAAMFbGFyZ2U", b"\xff\xd8jpeg", "photos/file_1.jpg")
    post = outbound(
        GROUP,
        "ADU-7K3Q9 Jalan rusak: lubang besar di Jl. Merdeka",
        attachments=[
            Attachment(url="telegram-file:AgACAgUAAxkBAAMFbGFyZ2U", content_type="image/jpeg"),
            Attachment(url="https://warga.example.id/foto/lubang.jpg", content_type="image/jpeg"),
        ],
        location=Location(lat=-6.914744, lon=107.60981),
        buttons=[
            Button(label="Diproses", payload="/proses ADU-7K3Q9"),
            Button(label="Selesai", payload="/selesai ADU-7K3Q9"),
            Button(label="Tolak", payload="/tolak ADU-7K3Q9"),
        ],
    )
    result = await adapter_for(api).send(post)
    methods = [c.method for c in api.sent(GROUP)]
    assert methods == ["sendPhoto", "sendPhoto", "sendLocation", "sendMessage"]
    photos = api.sent(GROUP, "sendPhoto")
    assert [p.params["photo"] for p in photos] == [
        "AgACAgUAAxkBAAMFbGFyZ2U",  # the file Telegram already has, by its file_id
        "https://warga.example.id/foto/lubang.jpg",
    ]
    (pin,) = api.sent(GROUP, "sendLocation")
    assert (float(pin.params["latitude"]), float(pin.params["longitude"])) == (-6.914744, 107.60981)
    (text,) = api.sent(GROUP, "sendMessage")
    keyboard = json.loads(text.params["reply_markup"])["inline_keyboard"]
    assert keyboard == [
        [
            {"text": "Diproses", "callback_data": "/proses ADU-7K3Q9"},
            {"text": "Selesai", "callback_data": "/selesai ADU-7K3Q9"},
        ],
        [{"text": "Tolak", "callback_data": "/tolak ADU-7K3Q9"}],
    ]
    assert result.external_id == f"{GROUP}:{text.result['message_id']}"


async def test_attachment_telegram_cannot_use_becomes_a_link_not_a_lost_post(
    api: BotApi,
) -> None:
    post = outbound(
        GROUP,
        "ADU-7K3Q9 Sampah menumpuk",
        attachments=[Attachment(url="telegram-file:gone", content_type="image/jpeg")],
    )
    await adapter_for(api).send(post)
    (text,) = api.sent(GROUP, "sendMessage")
    assert text.params["text"].endswith("telegram-file:gone")


async def test_long_text_is_split_and_buttons_ride_on_the_last_part(api: BotApi) -> None:
    body = ("Jalan berlubang di depan pasar. " * 300).strip()
    buttons = [Button(label="Selesai", payload="/selesai ADU-7K3Q9")]
    await adapter_for(api).send(outbound(GROUP, body, buttons=buttons))
    parts = api.sent(GROUP, "sendMessage")
    assert len(parts) == 3 and all(len(p.params["text"]) <= 4096 for p in parts)
    assert " ".join(p.params["text"] for p in parts) == body
    assert [("reply_markup" in p.params) for p in parts] == [False, False, True]


async def test_button_payload_too_long_for_telegram_is_shown_as_text(api: BotApi) -> None:
    long_payload = "/alihkan ADU-7K3Q9 DLH " + "alasan panjang " * 5
    buttons = [Button(label="Alihkan", payload=long_payload)]
    await adapter_for(api).send(outbound(GROUP, "ADU-7K3Q9", buttons=buttons))
    (call,) = api.sent(GROUP)
    assert "reply_markup" not in call.params
    assert call.params["text"] == f"ADU-7K3Q9\nAlihkan: {long_payload}"


async def test_reply_quotes_the_message_answered_in_the_same_chat(api: BotApi) -> None:
    adapter = adapter_for(api)
    await adapter.send(outbound(GROUP, "Terima kasih, dicatat", reply_to=f"{GROUP}:905"))
    await adapter.send(outbound(CITIZEN, "Laporan diterima", reply_to="815000101"))
    group, citizen = api.sent(GROUP)[0], api.sent(CITIZEN)[0]
    assert json.loads(group.params["reply_parameters"])["message_id"] == 905
    assert "reply_parameters" not in citizen.params


async def test_flood_control_is_retryable_after_the_delay_telegram_gives(api: BotApi) -> None:
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(SendError) as caught:
        await adapter_for(api).send(outbound(CITIZEN))
    assert caught.value.retryable and caught.value.retry_after == 7
    assert not caught.value.unreachable


async def test_blocked_bot_is_permanent_and_marks_the_contact_unreachable(api: BotApi) -> None:
    api.block(CITIZEN)
    with pytest.raises(SendError) as caught:
        await adapter_for(api).send(outbound(CITIZEN))
    assert not caught.value.retryable and caught.value.unreachable
    assert "bot was blocked by the user" in str(caught.value)


async def test_bad_request_is_permanent_with_telegram_reason(api: BotApi) -> None:
    api.fail_next("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(SendError) as caught:
        await adapter_for(api).send(outbound(CITIZEN))
    assert not caught.value.retryable and not caught.value.unreachable
    assert "chat not found" in str(caught.value).lower()


async def test_group_upgraded_to_supergroup_names_its_new_address(api: BotApi) -> None:
    api.fail_next("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat")
    api._failures["sendMessage"][0].parameters = {"migrate_to_chat_id": -1009999999999}
    with pytest.raises(SendError) as caught:
        await adapter_for(api).send(outbound(-4001234))
    assert not caught.value.retryable and "telegram:-1009999999999" in str(caught.value)


async def test_unreachable_bot_api_is_retryable() -> None:
    port = free_port()  # nothing listens there
    adapter = TelegramAdapter(
        TelegramConfig(bot_token=TOKEN, api_base_url=f"http://127.0.0.1:{port}/bot")
    )
    with pytest.raises(SendError) as caught:
        await adapter.send(outbound(CITIZEN))
    assert caught.value.retryable and TOKEN not in str(caught.value)


async def test_wrong_token_waits_for_a_fix_and_never_shows_the_token(api: BotApi) -> None:
    adapter = TelegramAdapter(
        TelegramConfig(bot_token="999:wrong-token", api_base_url=api.api_base_url)
    )
    with pytest.raises(SendError) as caught:
        await adapter.send(outbound(CITIZEN))
    assert caught.value.retryable and "999:wrong-token" not in str(caught.value)


async def test_retry_after_a_failure_mid_post_does_not_repeat_what_went_out(api: BotApi) -> None:
    api.add_file("AgACAgUAAxkBAAMFbGFyZ2U", b"\xff\xd8jpeg", "photos/file_1.jpg")
    post = outbound(
        GROUP,
        "ADU-7K3Q9 Jalan rusak",
        key="dispatch:ADU-7K3Q9:1:0",
        attachments=[
            Attachment(url="telegram-file:AgACAgUAAxkBAAMFbGFyZ2U", content_type="image/jpeg")
        ],
        location=Location(lat=-6.9, lon=107.6),
    )
    adapter = adapter_for(api)
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    with pytest.raises(SendError):
        await adapter.send(post)
    await adapter.send(post)
    assert [c.method for c in api.sent(GROUP)] == ["sendPhoto", "sendLocation", "sendMessage"]


async def test_received_photo_can_be_fetched_through_get_file(api: BotApi) -> None:
    api.add_file("AgACAgUAAxkBAAMFbGFyZ2U", b"\xff\xd8 the photo", "photos/file_7.jpg")
    adapter = adapter_for(api)
    url = await adapter.file_url("telegram-file:AgACAgUAAxkBAAMFbGFyZ2U")
    assert url == f"{api.file_base_url}{TOKEN}/photos/file_7.jpg"
    assert await adapter.download("telegram-file:AgACAgUAAxkBAAMFbGFyZ2U") == b"\xff\xd8 the photo"
    with pytest.raises(SendError) as caught:
        await adapter.download("telegram-file:unknown")
    assert "invalid file_id" in str(caught.value).lower()
