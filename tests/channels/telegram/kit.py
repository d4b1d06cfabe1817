"""The conformance kit for Telegram in webhook mode (the Bot API stand-in plays Telegram)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from channels.contract import RawRequest
from channels.telegram import TelegramAdapter
from channels.telegram.adapter import TelegramConfig
from channels.telegram.parsing import SECRET_HEADER
from tests.channels.conformance import KitSpec
from tests.channels.telegram.bot_api import TOKEN, BotApi

CASES = Path(__file__).parent / "cases"
INTERNAL_URL = "http://127.0.0.1:8000/channels/telegram/webhook"


class TelegramKit:
    def __init__(self) -> None:
        self.api = BotApi()

    def adapter(self, provider_url: str | None = None) -> TelegramAdapter:
        base = provider_url or self.api.url
        config = TelegramConfig(
            bot_token=TOKEN,
            api_base_url=f"{base}/bot",
            file_base_url=f"{base}/file/bot",
            request_timeout_seconds=1,
        )
        return TelegramAdapter(config)

    def request(self, spec: dict[str, Any]) -> RawRequest:
        body = spec["body"].encode() if "body" in spec else json.dumps(spec["json"]).encode()
        headers = {"Content-Type": "application/json"}
        how = spec.get("signature", "valid")
        if how != "missing":
            secret = "not-the-secret" if how == "wrong" else self.adapter().secret_token
            headers[SECRET_HEADER] = secret
        return RawRequest("POST", INTERNAL_URL, headers, body)

    def script(self, status: int, body: dict[str, Any], delay: float = 0) -> None:
        retry_after = (body.get("parameters") or {}).get("retry_after")
        self.api.fail_next("sendMessage", status, body.get("description", "Error"), retry_after)

    def last_sent(self) -> dict[str, Any]:
        return self.api.sent()[-1].params

    def serve_media(self, content: bytes, content_type: str) -> str:
        file_id = "AgACAgUAAxkBAAMFa2VwdF9waG90bw"
        self.api.add_file(file_id, content, "photos/file_58.jpg")
        return file_id

    def close(self) -> None:
        self.api.close()


KIT = KitSpec(
    CASES,
    TelegramKit,
    cannot={"batch_partly_taken": "Telegram posts one update per request: no batch to lose"},
)
