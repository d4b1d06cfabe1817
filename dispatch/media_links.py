"""Signed, expiring links to a complaint's stored attachments, as OPDs receive them."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, model_validator

from channels.message import utcnow
from dispatch.media_store import S3Settings
from storage.models import Complaint


class MediaSettings(BaseModel):
    """The `media:` section of config.yaml."""

    model_config = ConfigDict(extra="forbid")

    store: Literal["folder", "s3"] = Field(
        default="folder", description="folder: `folder` on this machine; s3: the `s3` bucket"
    )
    folder: Path = Field(
        default=Path("data/media"),
        description="where attachments are kept (store: folder), and the link key if unset",
    )
    s3: S3Settings | None = Field(default=None, description="the bucket, for store: s3")
    max_bytes: int = Field(default=16_000_000, gt=0, description="larger ones are refused")
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="Aduan's public base URL, for the links OPDs get; unset: no links",
    )
    link_hours: float = Field(default=72, gt=0, description="how long a link works")
    hold_dispatch_seconds: float = Field(
        default=60, ge=0, description="how long a complaint's dispatch waits for its media"
    )

    @model_validator(mode="after")
    def _s3_needs_its_bucket(self) -> MediaSettings:
        if self.store == "s3" and self.s3 is None:
            raise ValueError("store s3 needs an s3 section (bucket, endpoint_url, region, ...)")
        return self


def link_key(settings: MediaSettings, env: Mapping[str, str]) -> bytes:
    """ADUAN_MEDIA_SECRET, else a random key kept next to the media (made on first use).

    The key file appears whole or not at all (written aside, then linked in place), so a
    process starting alongside another never reads a half-written, or empty, key.
    """
    if env.get("ADUAN_MEDIA_SECRET"):
        return env["ADUAN_MEDIA_SECRET"].encode()
    path = settings.folder / ".link-key"
    found = path.read_text().strip() if path.exists() else None
    if not found:
        settings.folder.mkdir(parents=True, exist_ok=True)
        draft = settings.folder / f".link-key.{secrets.token_hex(4)}.part"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32))
        try:
            if found is not None:  # an empty key file (a crash, an editor): replaced
                draft.replace(path)
            else:
                os.link(draft, path)  # the first process to get here wins; others read its key
        except FileExistsError:
            pass
        finally:
            draft.unlink(missing_ok=True)
    return path.read_text().strip().encode()


@dataclass(frozen=True)
class MediaLinks:
    """Signed, expiring links to a complaint's stored attachments."""

    key: bytes
    base_url: str
    ttl: timedelta

    def _signature(self, code: str, index: int, expires: int) -> str:
        message = f"{code}/{index}/{expires}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def link(self, code: str, index: int, now: datetime | None = None) -> str:
        expires = int(((now or utcnow()) + self.ttl).timestamp())
        query = urlencode({"expires": expires, "signature": self._signature(code, index, expires)})
        return f"{self.base_url.rstrip('/')}/media/{code}/{index}?{query}"

    def valid(self, code: str, index: int, expires: int, signature: str, now: datetime) -> bool:
        if expires < now.timestamp():
            return False
        return hmac.compare_digest(self._signature(code, index, expires), signature)


def opd_attachments(
    complaint: Complaint, links: MediaLinks | None, fetched: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """The attachments as an OPD receives them: Aduan links, never the providers' references
    nor Aduan's own fields; nothing refused or given up.

    Without links (no `media.public_url`) an OPD learns what each one is and that Aduan keeps
    it (staff see it in the console); the web link a sender gave, on a channel not among the
    `fetched` ones (None: every channel's are fetched), is theirs anyway.
    """
    own = fetched is not None and complaint.channel not in fetched
    return [
        _for_opd(complaint.code, index, item, links, own)
        for index, item in enumerate(complaint.attachments or [])
        if not item.get("refused") and not item.get("failed")
    ]


def _for_opd(
    code: str, index: int, item: dict[str, Any], links: MediaLinks | None, own: bool
) -> dict[str, Any]:
    # A link the sender gave on a channel Aduan does not fetch from stays theirs.
    web_link = own and str(item.get("url", "")).startswith(("https://", "http://"))
    if item.get("external") or web_link:
        return {key: item[key] for key in ("url", "content_type", "size", "name") if key in item}
    if links is None:
        described = {key: item.get(key) for key in ("content_type", "size", "name")}
        return {**{k: v for k, v in described.items() if v is not None}, "kept_in_aduan": True}
    return {
        "url": links.link(code, index),  # valid for link_hours from now
        "content_type": item.get("content_type"),
        "size": item.get("size"),
        "name": item.get("name"),
    }


def chat_attachments(
    complaint: Complaint, links: MediaLinks | None, channel: str
) -> list[dict[str, Any]]:
    """The attachments as a post in an OPD's chat on `channel` carries them: the channel's own
    references where it can use them (the same Telegram bot), else Aduan links; only the
    fields of the common format's `Attachment`."""
    if links is None or channel == complaint.channel:
        kept = [
            item
            for item in complaint.attachments or []
            if not item.get("refused") and not item.get("failed")
        ]
    else:
        kept = opd_attachments(complaint, links)
    fields = ("url", "content_type", "size", "name")
    return [{key: item[key] for key in fields if item.get(key) is not None} for item in kept]
