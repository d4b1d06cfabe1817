"""Photos from the public report page: checked, read for a location, stripped, kept, served.

A photo must be a JPEG, PNG or WebP that Pillow can decode (the bytes decide, not the file name
or the browser's content type), at most `max_photo_bytes` and at most MAX_PIXELS pixels. Its
EXIF GPS position, when it has one, may stand for the report's location; what is kept and
shown is the image re-encoded without any metadata (EXIF, GPS, XMP, comments), upright.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response
from PIL import Image, ImageOps, UnidentifiedImageError

from aduan.api.deps import SessionDep
from storage.photos import photo_by_key

router = APIRouter(include_in_schema=False)

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000  # a 48-megapixel phone camera still fits; a decompression bomb does not
GPS_IFD = 0x8825
YEAR = 365 * 24 * 3600


class PhotoRefused(ValueError):
    """Not a photo we take: `reason` is "type" or "size"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanPhoto:
    content_type: str
    data: bytes  # re-encoded, without metadata
    gps: tuple[float, float] | None  # where the camera says it was taken


def _degrees(value: object, ref: object) -> float | None:
    try:
        d, m, s = (float(part) for part in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    sign = -1 if str(ref).upper() in ("S", "W") else 1
    return sign * (d + m / 60 + s / 3600)


def exif_gps(image: Image.Image) -> tuple[float, float] | None:
    """The (lat, lon) in the photo's EXIF GPS block, if it has a valid one."""
    gps = image.getexif().get_ifd(GPS_IFD)
    if not gps:
        return None
    lat, lon = _degrees(gps.get(2), gps.get(1)), _degrees(gps.get(4), gps.get(3))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if lat == 0 and lon == 0:  # cameras write zeros when they had no fix
        return None
    return lat, lon


def clean_photo(data: bytes, max_bytes: int) -> CleanPhoto:
    """The photo checked, its GPS read, and re-encoded without metadata; PhotoRefused if not."""
    if len(data) > max_bytes:
        raise PhotoRefused("size")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            if kind not in FORMATS:
                raise PhotoRefused("type")
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRefused("size")
            gps = exif_gps(image)
            upright = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if kind == "JPEG":
                upright.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
            else:
                upright.save(out, kind)  # no exif= or pnginfo=: nothing but pixels is written
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise PhotoRefused("type") from exc  # not decodable as what it claims to be
    except Image.DecompressionBombError as exc:
        raise PhotoRefused("size") from exc
    return CleanPhoto(FORMATS[kind], out.getvalue(), gps)


def new_key() -> str:
    return secrets.token_urlsafe(24)


@router.get("/foto/{key}")
def photo(key: str, session: SessionDep) -> Response:
    """A stored photo, by its random key; only images, never sniffed as anything else."""
    found = photo_by_key(session, key) if len(key) <= 43 else None
    if found is None:
        raise HTTPException(404, "no such photo")
    return Response(
        found.data,
        media_type=found.content_type,
        headers={"Cache-Control": f"public, max-age={YEAR}, immutable"},
    )
