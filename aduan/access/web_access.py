"""Who is asking on the web channel: a client by its API key, a citizen by a tracking secret.

A bare tracking code shows only status and category; the full view needs the complaint's
tracking secret, or the key of the client whose citizen filed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from aduan.access.credentials import digest, matches
from aduan.access.web_clients import client_for_key
from channels.web import WebCaller
from dispatch.context import DispatchContext
from storage.complaints import web_address_by_secret
from storage.engine import transaction
from storage.models import Complaint, Contact

SECRET_HEADER = "x-tracking-secret"


class AccessDenied(Exception):
    """A key or secret was presented and is wrong; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The client key from `Authorization: Bearer …` or `X-Api-Key` (headers lower-cased)."""
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization.split(None, 1)[1].strip()
    return headers.get("x-api-key")


def presented_secret(headers: Mapping[str, str], in_query: str | None) -> str | None:
    """The tracking secret from `X-Tracking-Secret`, else from the `?secret=` query."""
    return headers.get(SECRET_HEADER) or in_query


def _client(session: Session, key: str | None) -> str | None:
    if key is None:
        return None
    client = client_for_key(session, key)
    if client is None:
        raise AccessDenied(401, "invalid or revoked web client key")
    return client


def authenticate(engine: Engine, key: str | None, secret: str | None) -> WebCaller:
    """The caller of a submission; a wrong key or secret is refused, none is anonymous."""
    if key is None and secret is None:
        return WebCaller()
    with transaction(engine) as session:
        client = _client(session, key)
        address = None
        if secret is not None:
            address = web_address_by_secret(session, digest(secret))
            if address is None:
                raise AccessDenied(403, "unknown tracking secret")
    return WebCaller(client=client, address=address)


def may_see_all(
    session: Session, complaint: Complaint, key: str | None, secret: str | None
) -> bool:
    """Whether the caller proved it is the complaint's citizen (or their client)."""
    if secret is not None:
        if not matches(secret, complaint.secret_hash):
            raise AccessDenied(403, "wrong tracking secret for this complaint")
        return True
    client = _client(session, key)
    if client is None:
        return False
    contact = session.get(Contact, complaint.contact_id)
    return contact is not None and contact.address.startswith(f"web:{client}:")


def complaint_status(
    complaint: Complaint, ctx: DispatchContext, language: str | None = None
) -> dict[str, Any]:
    """What a bare tracking code shows anyone: its status and category, nothing written."""
    language = ctx.language(language or complaint.language)
    return {
        "code": complaint.code,
        "status": complaint.status,
        "status_label": ctx.status_name(language, complaint.status),
        "category": complaint.category,
        "category_label": ctx.category_name(language, complaint.category),
    }
