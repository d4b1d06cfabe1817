"""Photos uploaded on the public report page: stored once, read by their random key."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import Photo
from storage.rows import insert_now


def add_photo(session: Session, key: str, content_type: str, data: bytes) -> None:
    insert_now(session, Photo(key=key, content_type=content_type, data=data))


def photo_by_key(session: Session, key: str) -> Photo | None:
    return session.exec(select(Photo).where(Photo.key == key)).first()
