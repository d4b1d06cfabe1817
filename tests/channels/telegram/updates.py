"""Bot API updates as people produce them, in the shapes of the fixtures (without update_id:
the stand-in server numbers them)."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

from tests.channels.telegram.bot_api import BOT_USER, BotApi

FIXTURES = Path(__file__).parent / "fixtures"
_message_ids = itertools.count(1000)
_query_ids = itertools.count(1)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def person(user_id: int, first_name: str = "Siti") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "id"}


def private_chat(user_id: int, first_name: str = "Siti") -> dict[str, Any]:
    return {"id": user_id, "first_name": first_name, "type": "private"}


def group_chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "title": "Pengaduan OPD", "type": "supergroup"}


def _message(chat: dict[str, Any], sender: dict[str, Any], **content: Any) -> dict[str, Any]:
    return {
        "message": {
            "message_id": next(_message_ids),
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
    }


def text(user_id: int, body: str) -> dict[str, Any]:
    return _message(private_chat(user_id), person(user_id), text=body)


def photo(api: BotApi, user_id: int, caption: str | None = None) -> dict[str, Any]:
    """A photo as Telegram delivers it: three sizes, each a file the API can serve."""
    sizes = []
    tag = next(_message_ids)
    for width, height in ((90, 68), (320, 240), (1280, 960)):
        file_id = f"AgACAgUAAxkBAAM{tag}x{width}"
        content = b"\xff\xd8\xff\xe0JFIF" + bytes(width % 251 for _ in range(width))
        api.add_file(file_id, content, f"photos/file_{tag}_{width}.jpg")
        sizes.append(
            {
                "file_id": file_id,
                "file_unique_id": f"AQAD{tag}{width}",
                "file_size": len(content),
                "width": width,
                "height": height,
            }
        )
    extra = {"caption": caption} if caption else {}
    return _message(private_chat(user_id), person(user_id), photo=sizes, **extra)


def voice(api: BotApi, user_id: int, seconds: int = 7) -> dict[str, Any]:
    """A voice note (OGG/Opus) as Telegram delivers it, a file the API can serve."""
    tag = next(_message_ids)
    file_id, content = f"AwACAgUAAxkBAAM{tag}dm9pY2U", b"OggS\x00\x02" + bytes(range(64))
    api.add_file(file_id, content, f"voice/file_{tag}.oga")
    note = {
        "file_id": file_id,
        "file_unique_id": f"AgAD{tag}vo",
        "duration": seconds,
        "mime_type": "audio/ogg",
        "file_size": len(content),
    }
    return _message(private_chat(user_id), person(user_id), voice=note)


def shared_contact(user_id: int, first_name: str, phone_number: str) -> dict[str, Any]:
    """A contact card the user shared from their address book."""
    card = {"phone_number": phone_number, "first_name": first_name}
    return _message(private_chat(user_id), person(user_id), contact=card)


def location(user_id: int, lat: float, lon: float) -> dict[str, Any]:
    return _message(
        private_chat(user_id), person(user_id), location={"latitude": lat, "longitude": lon}
    )


def bot_message(sent: dict[str, Any]) -> dict[str, Any]:
    """The message object of something the bot sent (as the stand-in returned it)."""
    return {**sent, "from": BOT_USER}


def group_reply(
    chat_id: int, user_id: int, body: str, replied: dict[str, Any], name: str = "Budi"
) -> dict[str, Any]:
    return _message(group_chat(chat_id), person(user_id, name), text=body, reply_to_message=replied)


def button_press(user_id: int, carrier: dict[str, Any], data: str) -> dict[str, Any]:
    return {
        "callback_query": {
            "id": f"43821{next(_query_ids):013d}",
            "from": person(user_id, "Budi"),
            "message": carrier,
            "chat_instance": "-8801287389283728711",
            "data": data,
        }
    }
