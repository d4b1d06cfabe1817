"""An in-process deployment with every webhook channel on, and requests signed as providers do.

Twilio requests are signed with twilio's own `RequestValidator`, Meta's with the app secret
(X-Hub-Signature-256), Telegram's carry the webhook secret token.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from aduan.api.app import create_app
from aduan.runtime import build_runtime
from channels.registry import build_adapters
from tests.channels.standins import graph_api
from tests.support.deployment import write_config

PUBLIC_URL = "https://aduan.example.go.id"
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "test-twilio-auth-token"
TELEGRAM_SECRET = "test-telegram-webhook-secret"
UNREACHABLE = "http://127.0.0.1:9"  # providers' APIs: nothing here is sent during these tests

SECTIONS: dict[str, dict[str, Any]] = {
    "telegram": {"public_url": PUBLIC_URL, "api_base_url": UNREACHABLE},
    "twilio_sms": {
        "public_url": PUBLIC_URL,
        "from_number": "+62215550100",
        "api_base_url": UNREACHABLE,
    },
    "twilio_whatsapp": {
        "public_url": PUBLIC_URL,
        "from_number": "whatsapp:+62215550100",
        "api_base_url": UNREACHABLE,
    },
    "meta_whatsapp": {"phone_number_id": graph_api.PHONE_NUMBER_ID, "graph_url": UNREACHABLE},
}
ENV = {
    "TELEGRAM_BOT_TOKEN": "123456:test-bot-token",
    "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
    "TWILIO_ACCOUNT_SID": TWILIO_SID,
    "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
    "META_WHATSAPP_ACCESS_TOKEN": graph_api.ACCESS_TOKEN,
    "META_WHATSAPP_APP_SECRET": graph_api.APP_SECRET,
    "META_WHATSAPP_VERIFY_TOKEN": graph_api.VERIFY_TOKEN,
}


def config_with_channels(tmp_path: Path, http: dict[str, Any] | None = None) -> Path:
    """The shipped config with every webhook channel on, and `http` settings merged in."""
    path = write_config(tmp_path / "config.yaml")
    data = yaml.safe_load(path.read_text())
    data["channels"].update(SECTIONS)
    data["http"] = {**data.get("http", {}), **(http or {})}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def serve_all(tmp_path: Path, database_url: str, http: dict[str, Any] | None = None) -> TestClient:
    """A client of the app as `aduan serve` builds it, minus the background jobs."""
    runtime = build_runtime(config_with_channels(tmp_path, http), database_url, migrate=True)
    adapters, statuses = build_adapters(runtime.config.channels, env=ENV)
    assert set(SECTIONS) <= set(adapters), statuses
    client = TestClient(create_app(runtime, adapters), base_url="http://127.0.0.1:8000")
    client.runtime = runtime  # type: ignore[attr-defined]
    return client


def twilio_post(client: TestClient, channel: str, form: dict[str, str]) -> Any:
    path = f"/channels/{channel}/inbound"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL + path, form)
    return client.post(
        path,
        content=urlencode(form).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    )


def meta_post(client: TestClient, body: bytes) -> Any:
    return client.post(
        "/channels/meta_whatsapp/webhook",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": graph_api.signature(body),
        },
    )


def meta_message(wamid: str, sender: str, text: str) -> bytes:
    """One text message in the shape of Meta's webhook payload examples."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": graph_api.PHONE_NUMBER_ID},
        "contacts": [{"wa_id": sender, "profile": {"name": "Warga"}}],
        "messages": [
            {
                "id": wamid,
                "from": sender,
                "timestamp": "1717000000",
                "type": "text",
                "text": {"body": text},
            }
        ],
    }
    notification = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(notification).encode()


def telegram_post(client: TestClient, body: bytes) -> Any:
    return client.post(
        "/channels/telegram/webhook",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
        },
    )


def telegram_message(update_id: int, text: str) -> bytes:
    """A private-chat text message update as the Bot API posts it."""
    person = {"id": 4242, "is_bot": False, "first_name": "Siti"}
    update = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1717000000,
            "chat": {"id": 4242, "type": "private", "first_name": "Siti"},
            "from": person,
            "text": text,
        },
    }
    return json.dumps(update).encode()
