"""The adapter's background job against the stand-in: long polling with a committed offset, or
keeping the webhook registered."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from channels.contract import Cursor, Parsed
from channels.message import InboundMessage
from channels.telegram import TelegramAdapter, TelegramConfig
from tests.channels.telegram import updates
from tests.channels.telegram.bot_api import TOKEN, BotApi

CITIZEN = 1234567890


class MemorySink:
    """The core's side, in memory: what was delivered and the cursor committed with it."""

    def __init__(self, cursor: str | None = None) -> None:
        self.cursor = cursor
        self.delivered: list[tuple[list[Parsed], Cursor | None]] = []

    async def load_cursor(self, key: str) -> str | None:
        return self.cursor

    async def deliver(self, parsed: list[Parsed], cursor: Cursor | None = None) -> None:
        self.delivered.append((parsed, cursor))
        if cursor is not None:
            self.cursor = cursor.value

    def messages(self) -> list[InboundMessage]:
        return [m for parsed, _ in self.delivered for m in parsed if isinstance(m, InboundMessage)]


@pytest.fixture
def api() -> Iterator[BotApi]:
    server = BotApi()
    yield server
    server.close()


def adapter_for(api: BotApi, **settings: object) -> TelegramAdapter:
    config = TelegramConfig(
        bot_token=TOKEN,
        api_base_url=api.api_base_url,
        file_base_url=api.file_base_url,
        poll_timeout_seconds=1,
        **settings,
    )
    return TelegramAdapter(config)


async def _until(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def _run(adapter: TelegramAdapter, sink: MemorySink, condition) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(adapter.poll(sink, stop))
    try:
        await _until(condition)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)  # a long poll in flight does not hold up shutdown


async def test_each_update_is_delivered_with_the_offset_after_it(api: BotApi) -> None:
    first = api.push(updates.text(CITIZEN, "Lampu jalan mati di Jl. Asia Afrika"))
    second = api.push(updates.location(CITIZEN, -6.92, 107.61))
    sink = MemorySink()
    await _run(adapter_for(api), sink, lambda: len(sink.delivered) == 2)
    assert [cursor.value for _, cursor in sink.delivered if cursor] == [
        str(first["update_id"] + 1),
        str(second["update_id"] + 1),
    ]
    assert [m.external_id for m in sink.messages()] == [
        str(first["update_id"]),
        str(second["update_id"]),
    ]


async def test_restart_resumes_at_the_committed_offset(api: BotApi) -> None:
    taken = api.push(updates.text(CITIZEN, "Sampah menumpuk di pasar"))
    sink = MemorySink()
    await _run(adapter_for(api), sink, lambda: sink.delivered)
    newer = api.push(updates.text(CITIZEN, "/status"))
    again = MemorySink(cursor=sink.cursor)
    await _run(adapter_for(api), again, lambda: again.delivered)
    assert [m.external_id for m in again.messages()] == [str(newer["update_id"])]
    assert str(taken["update_id"]) not in [m.external_id for m in again.messages()]


async def test_lost_cursor_gets_the_same_update_with_the_same_id_for_the_core_to_dedupe(
    api: BotApi,
) -> None:
    update = api.push(updates.text(CITIZEN, "Sampah menumpuk di pasar"))
    sink = MemorySink()
    await _run(adapter_for(api), sink, lambda: sink.delivered)
    api.redeliver(update)
    forgetful = MemorySink()  # e.g. a poller whose commit failed
    await _run(adapter_for(api), forgetful, lambda: forgetful.delivered)
    assert forgetful.messages()[0].external_id == sink.messages()[0].external_id


async def test_updates_aduan_ignores_still_move_the_offset(api: BotApi) -> None:
    chatter = updates.fixture("group_chatter")
    del chatter["update_id"]
    skipped = api.push(chatter)
    sink = MemorySink()
    await _run(adapter_for(api), sink, lambda: sink.delivered)
    assert sink.delivered == [([], Cursor("update_offset", str(skipped["update_id"] + 1)))]


async def test_button_press_is_answered_after_it_is_delivered(api: BotApi) -> None:
    press = api.push(
        updates.button_press(
            555000111,
            {"message_id": 7, "date": 0, "chat": updates.group_chat(-100123)},
            "/proses ADU-7K3Q9",
        )
    )
    sink = MemorySink()
    await _run(
        adapter_for(api),
        sink,
        lambda: [c for c in api.calls if c.method == "answerCallbackQuery"],
    )
    (answer,) = [c for c in api.calls if c.method == "answerCallbackQuery"]
    assert answer.status == 200
    assert answer.params["callback_query_id"] == press["callback_query"]["id"]
    assert sink.messages()[0].text == "/proses ADU-7K3Q9"


async def test_telegram_trouble_is_waited_out_not_fatal(api: BotApi) -> None:
    api.fail_next("getUpdates", 502, "Bad Gateway")
    api.fail_next("getUpdates", 409, "Conflict: terminated by other getUpdates request")
    api.push(updates.text(CITIZEN, "Jalan rusak"))
    sink = MemorySink()
    await _run(adapter_for(api), sink, lambda: sink.delivered)
    statuses = [c.status for c in api.calls if c.method == "getUpdates"]
    assert statuses[:3] == [502, 409, 200]


async def test_webhook_mode_registers_the_webhook_with_its_secret_instead_of_polling(
    api: BotApi,
) -> None:
    adapter = adapter_for(api, public_url="https://aduan.kab-contoh.go.id/")
    sink = MemorySink()
    await _run(adapter, sink, lambda: api.webhook)
    assert api.webhook == {
        "url": "https://aduan.kab-contoh.go.id/channels/telegram/webhook",
        "secret_token": adapter.secret_token,
    }
    assert "getUpdates" not in [c.method for c in api.calls]
