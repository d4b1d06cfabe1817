"""A WhatsApp photo: its attachment URL from parsing is fetchable through the Graph API."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from channels.contract import RawRequest
from channels.message import InboundMessage
from tests.channels.meta_whatsapp.kit import adapter_for
from tests.channels.standins import graph_api
from tests.channels.standins.graph_api import GraphStandIn, contact, message, notification

JPEG = b"\xff\xd8\xff\xe0" + b"photo of a pothole" * 20


@pytest.fixture
def graph() -> Iterator[GraphStandIn]:
    standin = GraphStandIn()
    yield standin
    standin.close()


async def test_photo_is_downloaded_through_its_media_id(graph: GraphStandIn) -> None:
    media_id = graph.add_media(JPEG, "image/jpeg")
    photo = message(
        "6281234567890", "image", {"id": media_id, "mime_type": "image/jpeg", "caption": "Lubang"}
    )
    body = json.dumps(notification(messages=[photo], contacts=[contact("6281234567890")]))
    request = RawRequest(
        "POST",
        "http://127.0.0.1/channels/meta_whatsapp/webhook",
        {"X-Hub-Signature-256": graph_api.signature(body.encode())},
        body.encode(),
    )
    adapter = adapter_for(graph.url)
    (parsed,) = adapter.parse(request)
    assert isinstance(parsed, InboundMessage) and parsed.text == "Lubang"
    content, content_type = await adapter.fetch_media(parsed.attachments[0].url)
    assert (content, content_type) == (JPEG, "image/jpeg")
