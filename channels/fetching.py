"""Links in attachments, and downloading media by URL without being turned against ourselves.

Only http(s) links are ever data; a download goes only to public addresses (unless the
deployment allows a network, as tests do for their loopback stand-ins), is pinned to the address
that was checked, follows no redirect it has not checked, and stops at a size and time limit.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field

MAX_REDIRECTS = 3
_DECODED = frozenset({"content-encoding", "content-length", "transfer-encoding"})
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class MediaRefused(Exception):
    """A media URL Aduan will not fetch (scheme, address, size): trying again changes nothing."""


class MediaUnavailable(OSError):
    """Media not to be had now (no answer in time, a name that does not resolve): a later try
    may succeed, so the outbox retries it and the citizen is not told it was refused."""


class MediaLimits(BaseModel):
    """How a channel may download media (a `media:` block of its section in config.yaml)."""

    model_config = ConfigDict(extra="forbid")

    max_bytes: int = Field(default=16_000_000, gt=0)
    timeout_seconds: float = Field(default=30, gt=0)
    allow_networks: list[IPNetwork] = Field(
        default_factory=list,
        description="private or loopback networks media may come from (default: none)",
    )


def check_link(url: str) -> str:
    """`url` if it is an http(s) link with a host; ValueError otherwise (a path, `file:`...)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ValueError(f"{url[:80]!r} is not an http:// or https:// link")
    return url


async def fetch(
    url: str, limits: MediaLimits, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """GET `url` by the rules above; the response is read (at most `limits.max_bytes`)."""
    try:
        async with asyncio.timeout(limits.timeout_seconds):
            async with httpx.AsyncClient(timeout=limits.timeout_seconds) as client:
                sent = dict(headers or {})
                for _ in range(MAX_REDIRECTS + 1):
                    response = await _get(client, url, limits, sent)
                    if not response.is_redirect:
                        return response
                    following = response.url.join(response.headers["location"])
                    if following.host != response.url.host:
                        # Twilio sends media on to a signed storage URL: credentials stay home.
                        sent = {k: v for k, v in sent.items() if k.lower() != "authorization"}
                    url = str(following)
    except TimeoutError:
        raise MediaUnavailable(f"no answer within {limits.timeout_seconds:g} s") from None
    except httpx.TransportError as exc:  # refused, reset, TLS failed: the host may come back
        host = urlsplit(url).hostname
        raise MediaUnavailable(f"{type(exc).__name__} from {host}") from None
    raise MediaRefused(f"more than {MAX_REDIRECTS} redirects")


async def _get(
    client: httpx.AsyncClient, url: str, limits: MediaLimits, headers: Mapping[str, str]
) -> httpx.Response:
    try:
        check_link(url)
    except ValueError as exc:
        raise MediaRefused(f"media URL {exc}") from None
    target = httpx.URL(url)
    address = await _public_address(target.host, target.port or _default_port(target), limits)
    # Connect to the address just checked (no second lookup to rebind), named as the host.
    request = client.build_request(
        "GET",
        target.copy_with(host=str(address)),
        headers={**headers, "Host": target.netloc.decode()},
        extensions={"sni_hostname": target.host},
    )
    response = await client.send(request, stream=True)
    try:
        declared = int(response.headers.get("content-length") or 0)
        if declared > limits.max_bytes:
            raise MediaRefused(f"media larger than {limits.max_bytes} bytes")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limits.max_bytes:
                raise MediaRefused(f"media larger than {limits.max_bytes} bytes")
    finally:
        await response.aclose()
    kept = [(k, v) for k, v in response.headers.items() if k.lower() not in _DECODED]
    return httpx.Response(
        response.status_code,
        headers=kept,
        content=bytes(body),
        request=httpx.Request("GET", target),
    )


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


async def _public_address(host: str, port: int, limits: MediaLimits) -> IPAddress:
    """The host's first address, when every address it has is public or allowed."""
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise MediaUnavailable(f"cannot resolve {host}: {exc}") from None
    addresses = [_unmapped(ipaddress.ip_address(info[4][0])) for info in found]
    for address in addresses:
        allowed = any(address in network for network in limits.allow_networks)
        if not (address.is_global or allowed):
            raise MediaRefused(f"{host} resolves to a private address ({address})")
    if not addresses:
        raise MediaUnavailable(f"cannot resolve {host}")
    return addresses[0]


def _unmapped(address: IPAddress) -> IPAddress:
    """`::ffff:127.0.0.1` is 127.0.0.1 (older Pythons call the mapped form global)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
