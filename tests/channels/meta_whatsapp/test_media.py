"""A WhatsApp photo: its attachment URL from parsing is fetchable through the Graph API."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from channels.contract import RawRequest
from channels.fetching import MediaRefused
from channels.message import InboundMessage
from tests.channels.meta_whatsapp.kit import adapter_for
from tests.channels.standins import graph_api
from tests.channels.standins.graph_api import GraphStandIn, contact, message, notification

JPEG = b"\xff\xd8\xff\xe0" + b"photo of a pothole" * 20
STANDIN_HOST = {"media": {"allow_networks": ["127.0.0.1/32"]}}  # the stand-in is on loopback


@pytest.fixture
def graph() -> Iterator[GraphStandIn]:
    standin = GraphStandIn()
    yield standin
    standin.close()


def photo_url(graph: GraphStandIn, content: bytes = JPEG) -> str:
    """The attachment URL of a photo as the adapter parses it from a signed webhook."""
    media_id = graph.add_media(content, "image/jpeg")
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
    (parsed,) = adapter_for(graph.url).parse(request)
    assert isinstance(parsed, InboundMessage) and parsed.text == "Lubang"
    return parsed.attachments[0].url


async def test_photo_is_downloaded_through_its_media_id(graph: GraphStandIn) -> None:
    adapter = adapter_for(graph.url, **STANDIN_HOST)
    content, content_type = await adapter.fetch_media(photo_url(graph))
    assert (content, content_type) == (JPEG, "image/jpeg")


async def test_media_on_a_private_address_is_not_fetched_unless_allowed(
    graph: GraphStandIn,
) -> None:
    with pytest.raises(MediaRefused, match="private address"):
        await adapter_for(graph.url).fetch_media(photo_url(graph))


async def test_media_larger_than_the_limit_is_not_fetched(graph: GraphStandIn) -> None:
    adapter = adapter_for(graph.url, media={"allow_networks": ["127.0.0.1"], "max_bytes": 100})
    with pytest.raises(MediaRefused, match="larger than 100 bytes"):
        await adapter.fetch_media(photo_url(graph))


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "/etc/passwd", "https://attacker.example/x", "{graph}/other/path"],
)
async def test_only_its_own_media_urls_are_fetched_and_the_token_goes_nowhere_else(
    url: str, graph: GraphStandIn
) -> None:
    adapter = adapter_for(graph.url, **STANDIN_HOST)
    with pytest.raises(MediaRefused, match="not a media URL"):
        await adapter.fetch_media(url.format(graph=f"{graph.url}/{graph_api.VERSION}"))
