"""GET /media/{code}/{index}: a citizen's stored attachment, by the signed link an OPD got.

Aduan serves the file itself, from whichever store keeps it: the signed link is the only URL
an OPD ever gets, and it works the same with a folder or a bucket behind it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from aduan.api.deps import RuntimeDep, SessionDep
from channels.message import utcnow
from dispatch.media_store import MediaStore, StoredFile, StoreUnavailable
from storage.complaints import complaint_by_code

router = APIRouter(tags=["media"])
Signature = Annotated[str, Query(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$")]


def open_stored(store: MediaStore | None, name: str) -> StoredFile:
    """A kept file, or the HTTP error that says why not (404 gone, 503 the store is down)."""
    try:
        stored = store.open(name) if store is not None else None
    except StoreUnavailable:
        raise HTTPException(503, "media store unavailable", headers={"Retry-After": "30"}) from None
    if stored is None:
        raise HTTPException(404, "attachment not available")
    return stored


def stream(stored: StoredFile, media_type: str, headers: dict[str, str]) -> StreamingResponse:
    return StreamingResponse(
        stored.chunks,
        media_type=media_type,
        headers={**headers, "Content-Length": str(stored.size)},
    )


@router.get(
    "/media/{code}/{index}",
    response_class=StreamingResponse,
    responses={
        403: {"description": "link invalid or expired"},
        404: {},
        410: {"description": "the channel never handed the attachment over"},
        503: {},
    },
)
def stored_attachment(
    code: Annotated[str, PathParam(max_length=20)],
    index: Annotated[int, PathParam(ge=0, le=1000)],
    expires: Annotated[int, Query(ge=0, le=2**40)],
    signature: Signature,
    session: SessionDep,
    runtime: RuntimeDep,
) -> StreamingResponse:
    """The file, while the link's signature holds and it has not expired."""
    links = runtime.ctx.media_links
    if links is None or not links.valid(code, index, expires, signature, utcnow()):
        raise HTTPException(403, "link invalid or expired")
    complaint = complaint_by_code(session, code)
    items = complaint.attachments if complaint else []
    if not 0 <= index < len(items):
        raise HTTPException(404, "no such attachment")
    item = items[index]
    if item.get("refused"):
        raise HTTPException(404, "attachment not kept")
    name = item.get("stored")
    if not name and item.get("failed"):
        raise HTTPException(410, "attachment could not be fetched from the channel")
    if not name:
        # Still being fetched from the channel: a client asks again shortly.
        raise HTTPException(503, "attachment not stored yet", headers={"Retry-After": "10"})
    stored = open_stored(runtime.ctx.media_store, str(name))
    suffix = "." + str(name).rsplit(".", 1)[-1]
    disposition = f'inline; filename="{code}-{index}{suffix}"'
    return stream(
        stored,
        str(item.get("content_type") or "application/octet-stream"),
        {"Cache-Control": "private, max-age=3600", "Content-Disposition": disposition},
    )
