"""GET /media/{code}/{index}: a citizen's stored attachment, by the signed link an OPD got."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from aduan.api.deps import RuntimeDep, SessionDep
from channels.message import utcnow
from dispatch.media import MediaStore
from storage.complaints import complaint_by_code

router = APIRouter(tags=["media"])
Signature = Annotated[str, Query(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$")]


@router.get(
    "/media/{code}/{index}",
    response_class=FileResponse,
    responses={403: {"description": "link invalid or expired"}, 404: {}, 503: {}},
)
def stored_attachment(
    code: Annotated[str, PathParam(max_length=20)],
    index: Annotated[int, PathParam(ge=0, le=1000)],
    expires: Annotated[int, Query(ge=0, le=2**40)],
    signature: Signature,
    session: SessionDep,
    runtime: RuntimeDep,
) -> FileResponse:
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
    if not name:
        # Still being fetched from the channel: a client asks again shortly.
        raise HTTPException(503, "attachment not stored yet", headers={"Retry-After": "10"})
    path = MediaStore(runtime.config.media.folder).path(str(name))
    if path is None:
        raise HTTPException(404, "attachment not available")
    return FileResponse(
        path,
        media_type=str(item.get("content_type") or "application/octet-stream"),
        filename=f"{code}-{index}{path.suffix}",
        content_disposition_type="inline",
        headers={"Cache-Control": "private, max-age=3600"},
    )
