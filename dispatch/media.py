"""Citizens' photos, voice notes and PDFs: fetched after intake, checked, stored, linked.

A complaint's attachments arrive as the channel's references (a Telegram file id, a Twilio or
Meta URL that needs the account's credentials). After the complaint is filed, each one is an
outbox item of kind `media`: the worker fetches it through its channel's adapter (retried like
any send), checks what the bytes are and how many, and keeps them in the configured store (a
local folder, or an S3-compatible bucket; a store that is down is retried like a download).
OPDs get signed, expiring Aduan links (HMAC) instead of the provider's references. The complaint's
dispatch waits for its media a short while at most: a slow download never holds it back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from channels.contract import MediaSource, SendError
from channels.fetching import MediaRefused, MediaUnavailable
from channels.message import SendResult, utcnow
from dispatch.context import DispatchContext
from dispatch.enqueue import message_to_contact, queue_item
from dispatch.media_links import MediaSettings, chat_attachments, opd_attachments
from dispatch.media_store import StoreUnavailable
from storage.complaints import complaint_by_code, set_attachment
from storage.engine import transaction
from storage.models import Complaint, Contact, OutboxItem
from storage.outbox import hold_dispatch, pending_dispatches, release_dispatch

log = logging.getLogger("aduan.media")

KIND = "media"
# The types Aduan keeps, by what the bytes are: (magic prefix, offset, type, file suffix).
SIGNATURES = (
    (b"\xff\xd8\xff", 0, "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", ".png"),
    (b"GIF87a", 0, "image/gif", ".gif"),
    (b"GIF89a", 0, "image/gif", ".gif"),
    (b"WEBP", 8, "image/webp", ".webp"),  # after RIFF and a length
    (b"ftypheic", 4, "image/heic", ".heic"),
    (b"ftypmif1", 4, "image/heic", ".heic"),
    (b"%PDF-", 0, "application/pdf", ".pdf"),
    (b"OggS", 0, "audio/ogg", ".ogg"),
    (b"ID3", 0, "audio/mpeg", ".mp3"),
    (b"\xff\xfb", 0, "audio/mpeg", ".mp3"),
    (b"\xff\xf3", 0, "audio/mpeg", ".mp3"),
    (b"ftypM4A", 4, "audio/mp4", ".m4a"),
    (b"#!AMR", 0, "audio/amr", ".amr"),
    (b"\xff\xf1", 0, "audio/aac", ".aac"),
    (b"\xff\xf9", 0, "audio/aac", ".aac"),
)


def sniff(data: bytes) -> tuple[str, str] | None:
    """The type and suffix of `data` by its first bytes, if it is one Aduan keeps."""
    for magic, offset, kind, suffix in SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            if kind == "image/webp" and not data.startswith(b"RIFF"):
                continue
            return kind, suffix
    return None


def queue_media(
    session: Session,
    complaint: Complaint,
    settings: MediaSettings,
    channel: str,
    urls: list[str],
    now: datetime | None = None,
) -> int:
    """An outbox item per attachment of this turn (the last ones with these `urls`), fetched
    through `channel`'s adapter; the complaint's pending dispatch waits for them. `now`: the
    turn's clock, else the wall clock."""
    now = now or utcnow()
    items = complaint.attachments or []
    start = max(0, len(items) - len(urls))
    indexes = [i for i in range(start, len(items)) if items[i].get("url") in urls]
    for index in indexes:
        payload = {"code": complaint.code, "index": index, "channel": channel,
                   "url": items[index].get("url")}  # fmt: skip
        queue_item(
            session,
            kind=KIND,
            target=KIND,
            payload=payload,
            key=f"media:{complaint.code}:{index}",
            complaint_id=complaint.id,
            now=now,
        )
    if indexes and complaint.id is not None:
        until = now + timedelta(seconds=settings.hold_dispatch_seconds)
        hold_dispatch(session, complaint.id, until)
    return len(indexes)


def media_sender(
    engine: Engine, adapters: Mapping[str, Any], settings: MediaSettings, ctx: DispatchContext
) -> Callable[[dict[str, Any]], Awaitable[SendResult]]:
    """The outbox sender of `media` items: fetch, check, store, and let the dispatch go."""
    store = ctx.media_store
    assert store is not None, "the app opens the media store"

    async def send(payload: dict[str, Any]) -> SendResult:
        code, index = str(payload["code"]), int(payload["index"])
        adapter = adapters.get(str(payload.get("channel")))
        if not isinstance(adapter, MediaSource):
            # A link the sender gave (the web channel): it stays what the OPD gets.
            return await settle(code, index, {"external": True}, None)
        try:
            data, _declared = await adapter.fetch_media(str(payload.get("url") or ""))
        except MediaRefused as exc:
            return await settle(code, index, {"refused": str(exc)[:200]}, settings)
        except SendError as exc:
            if exc.retryable:
                raise
            # The provider will never hand it over (a file id it rejects): given up, and said.
            return await settle(code, index, {"refused": str(exc)[:200]}, settings)
        except MediaUnavailable as exc:  # the provider is slow, or its name does not resolve
            raise SendError(f"media download failed: {exc}", retryable=True) from exc
        except Exception as exc:  # the provider is down: the outbox tries again
            raise SendError(f"media download failed: {type(exc).__name__}", retryable=True) from exc
        if len(data) > settings.max_bytes:
            refused = {"refused": f"media larger than {settings.max_bytes} bytes"}
            return await settle(code, index, refused, settings)
        kind = sniff(data)
        if kind is None:
            return await settle(code, index, {"refused": "type not kept"}, settings)
        try:
            name = await asyncio.to_thread(store.save, data, kind[1], kind[0])
        except StoreUnavailable as exc:  # kept with the item; the download is tried again
            raise SendError(str(exc), retryable=True) from exc
        # A dead letter sent again (`aduan outbox retry`) is no longer failed.
        stored = {"stored": name, "content_type": kind[0], "size": len(data), "failed": None}
        return await settle(code, index, stored, None)

    async def settle(
        code: str, index: int, values: dict[str, Any], tell: MediaSettings | None
    ) -> SendResult:
        return await asyncio.to_thread(_settle, engine, ctx, code, index, values, tell)

    return send


def media_given_up(ctx: DispatchContext) -> Callable[[Session, OutboxItem, SendError], None]:
    """What the outbox records when a media item's attempts are used up: the attachment failed
    (its link says so instead of "not stored yet"), the citizen is told, the dispatch goes."""

    def given_up(session: Session, item: OutboxItem, error: SendError) -> None:
        code, index = str(item.payload["code"]), int(item.payload["index"])
        log.warning("media %s/%s given up: %s", code, index, error)
        failed = {"failed": "download failed after every attempt"}
        _record(session, ctx, code, index, failed, "media_failed")

    return given_up


def _settle(
    engine: Engine,
    ctx: DispatchContext,
    code: str,
    index: int,
    values: dict[str, Any],
    tell: MediaSettings | None,
) -> SendResult:
    """Record what became of one attachment; a refused one is explained to the citizen."""
    limit = f"{tell.max_bytes // 1_000_000} MB" if tell is not None else ""
    if tell is not None:
        log.warning("media %s/%s refused: %s", code, index, values.get("refused"))
    with transaction(engine) as session:
        _record(session, ctx, code, index, values, "media_refused" if tell else None, limit)
    return SendResult(external_id=values.get("stored"))


def _record(
    session: Session,
    ctx: DispatchContext,
    code: str,
    index: int,
    values: dict[str, Any],
    tell: str | None,
    limit: str = "",
) -> None:
    """Record one attachment's fate, tell the citizen with template `tell` (if given), and
    bring the complaint's waiting dispatch up to date and on its way."""
    now = ctx.clock()
    complaint = complaint_by_code(session, code)
    if complaint is None:
        return
    items = complaint.attachments or []
    known = items[index] if 0 <= index < len(items) else {}
    told = all(known.get(k) == v for k, v in values.items())  # given up again after a retry
    set_attachment(session, complaint, index, values)
    if tell is not None and not told:
        contact = session.get(Contact, complaint.contact_id)
        if contact is not None:
            text = ctx.text(contact.language, tell, code=code, limit=limit)
            key = f"{tell.replace('_', '-')}:{code}:{index}"  # media-refused:ADU-…:0
            message_to_contact(session, contact, text, key, complaint, now=now)
    assert complaint.id is not None
    attachments = opd_attachments(complaint, ctx.media_links, ctx.media_channels)
    for item in pending_dispatches(session, complaint.id):
        # What the OPD gets lists what is kept, as it now is.
        if "document" in item.payload:
            document = {**item.payload["document"], "attachments": attachments}
            item.payload = {**item.payload, "document": document}
        else:  # a post in the OPD's chat
            kept = chat_attachments(complaint, ctx.media_links, item.payload["channel"])
            item.payload = {**item.payload, "attachments": kept}
        session.add(item)
    release_dispatch(session, complaint.id, now, f"media:{code}:{index}")
