"""Queries on credentials: OPD status-API tokens and web client keys (stored as hashes)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from storage.models import OpdToken, WebClientKey


def active_opd_token(session: Session, token_hash: str) -> OpdToken | None:
    """The unrevoked OPD token with this hash."""
    return session.exec(
        select(OpdToken)
        .where(OpdToken.token_hash == token_hash)
        .where(col(OpdToken.revoked_at).is_(None))
    ).first()


def opd_tokens(session: Session, opd: str | None = None) -> Sequence[OpdToken]:
    """Every OPD token (of `opd`, if given), revoked ones included, oldest first."""
    query = select(OpdToken).order_by(col(OpdToken.id))
    if opd:
        query = query.where(OpdToken.opd == opd)
    return session.exec(query).all()


def active_opd_tokens(
    session: Session, *, token_id: int | None = None, opd: str | None = None
) -> Sequence[OpdToken]:
    """The unrevoked OPD tokens, only token `token_id` or only those of `opd` if given."""
    query = select(OpdToken).where(col(OpdToken.revoked_at).is_(None))
    if token_id is not None:
        query = query.where(OpdToken.id == token_id)
    if opd is not None:
        query = query.where(OpdToken.opd == opd)
    return session.exec(query).all()


def active_web_key(session: Session, key_hash: str) -> WebClientKey | None:
    """The unrevoked web client key with this hash."""
    return session.exec(
        select(WebClientKey)
        .where(WebClientKey.key_hash == key_hash)
        .where(col(WebClientKey.revoked_at).is_(None))
    ).first()


def web_keys(session: Session) -> Sequence[WebClientKey]:
    """Every web client key, revoked ones included, oldest first."""
    return session.exec(select(WebClientKey).order_by(col(WebClientKey.id))).all()


def active_web_keys(
    session: Session, *, key_id: int | None = None, client: str | None = None
) -> Sequence[WebClientKey]:
    """The unrevoked web client keys, only key `key_id` or only those of `client` if given."""
    query = select(WebClientKey).where(col(WebClientKey.revoked_at).is_(None))
    if key_id is not None:
        query = query.where(WebClientKey.id == key_id)
    if client is not None:
        query = query.where(WebClientKey.client == client)
    return session.exec(query).all()
