"""Bearer tokens for OPD systems on the status API. Only a hash is stored."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.engine import transaction
from storage.models import OpdToken


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, opd: str, label: str = "") -> str:
    """A new token for `opd`; shown once, never stored in the clear."""
    token = f"aduan_{opd.lower()}_{secrets.token_urlsafe(24)}"
    with transaction(engine) as session:
        session.add(OpdToken(opd=opd, token_hash=_digest(token), label=label))
    return token


def opd_for_token(session: Session, token: str) -> str | None:
    row = session.exec(
        select(OpdToken)
        .where(OpdToken.token_hash == _digest(token))
        .where(OpdToken.revoked_at.is_(None))
    ).first()
    return row.opd if row else None
