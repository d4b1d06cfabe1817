"""Downloading media by URL: public addresses only (unless allowed), bounded in size and time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from channels.fetching import MediaLimits, MediaRefused, MediaUnavailable, fetch
from tests.channels.standins.base import StandIn

PHOTO = b"\xff\xd8\xff\xe0" + b"pothole" * 100
LOOPBACK = MediaLimits(allow_networks=["127.0.0.1/32"], max_bytes=10_000, timeout_seconds=1)


class MediaHost(StandIn):
    """A file host: a photo, a huge file, a host that never answers, and redirects."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []
        self.redirect_to = ""

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        self.paths.append(path)
        if path == "/photo.jpg":
            return 200, {"Content-Type": "image/jpeg"}, PHOTO
        if path == "/huge.bin":
            return 200, {}, b"x" * 50_000
        if path == "/slow.jpg":
            time.sleep(3)
            return 200, {}, PHOTO
        if path == "/to-storage":
            return 307, {"Location": self.redirect_to}, b""
        if path == "/to-photo":
            return 302, {"Location": "/photo.jpg"}, b""
        if path == "/to-metadata":
            return 302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""
        return 404, {}, b""


@pytest.fixture
def host() -> Iterator[MediaHost]:
    server = MediaHost()
    yield server
    server.close()


async def test_an_allowed_host_is_fetched_and_redirects_are_followed(host: MediaHost) -> None:
    response = await fetch(f"{host.url}/to-photo", LOOPBACK)
    assert (response.status_code, response.content) == (200, PHOTO)
    assert response.headers["content-type"] == "image/jpeg"


async def test_loopback_is_refused_unless_the_deployment_allows_it(host: MediaHost) -> None:
    with pytest.raises(MediaRefused, match="private address"):
        await fetch(f"{host.url}/photo.jpg", MediaLimits())
    with pytest.raises(MediaRefused, match="private address"):
        await fetch(f"http://localhost:{host.server.server_address[1]}/photo.jpg", MediaLimits())
    assert host.paths == []  # refused before connecting


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/internal",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://0.0.0.0/x",
    ],
)
async def test_private_and_link_local_addresses_are_refused(url: str) -> None:
    with pytest.raises(MediaRefused, match="private address"):
        await fetch(url, MediaLimits())


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "/etc/passwd", "telegram-file:AgAD", "ftp://example.com/x"]
)
async def test_only_http_links_are_fetched(url: str) -> None:
    with pytest.raises(MediaRefused, match="http"):
        await fetch(url, LOOPBACK)


async def test_a_redirect_to_a_private_address_is_refused(host: MediaHost) -> None:
    with pytest.raises(MediaRefused, match=r"169\.254\.169\.254"):
        await fetch(f"{host.url}/to-metadata", LOOPBACK)


async def test_size_and_time_are_bounded(host: MediaHost) -> None:
    with pytest.raises(MediaRefused, match="larger than 10000 bytes"):
        await fetch(f"{host.url}/huge.bin", LOOPBACK)
    started = time.monotonic()
    # A slow host is not a refusal: the outbox tries again later (the citizen is not told).
    with pytest.raises(MediaUnavailable, match="no answer within 1 s"):
        await fetch(f"{host.url}/slow.jpg", LOOPBACK)
    assert time.monotonic() - started < 2
    with pytest.raises(MediaUnavailable):  # no such name (or no answer from the resolver)
        await fetch("http://foto.aduan.invalid/a.jpg", LOOPBACK)


async def test_credentials_go_to_the_host_they_are_for_never_on_to_a_redirect_target(
    host: MediaHost,
) -> None:
    """Twilio answers a media URL with a redirect to storage: the account's credentials stay."""
    seen: list[dict[str, str]] = []

    class Storage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(dict(self.headers))
            self.send_response(200)
            self.send_header("Content-Length", str(len(PHOTO)))
            self.end_headers()
            self.wfile.write(PHOTO)

        def log_message(self, *args: object) -> None:
            pass

    storage = ThreadingHTTPServer(("127.0.0.2", 0), Storage)  # another host on loopback
    threading.Thread(target=storage.serve_forever, daemon=True).start()
    try:
        target = f"http://127.0.0.2:{storage.server_address[1]}/bucket/photo.jpg"
        host.redirect_to = target
        limits = MediaLimits(allow_networks=["127.0.0.0/8"], max_bytes=10_000)
        answer = await fetch(f"{host.url}/to-storage", limits, {"Authorization": "Basic c2VjcmV0"})
    finally:
        storage.shutdown()
        storage.server_close()
    assert answer.content == PHOTO
    assert not any(k.lower() == "authorization" for k in seen[0])
