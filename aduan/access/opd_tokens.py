"""Bearer tokens for OPD systems on the status API. Only a hash is stored.

Tokens can be listed, revoked and rotated; every revocation is an audit event. A token of an
OPD that is no longer configured stops working.
"""

from __future__ import annotations

import logging
from collections.abc import Container
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from aduan.access.credentials import digest, new_secret
from storage.access import active_opd_token, active_opd_tokens, opd_tokens
from storage.engine import transaction, within
from storage.models import Event, OpdToken

log = logging.getLogger("aduan.access.opd_tokens")


class TokenError(ValueError):
    """A token command that cannot be done (nothing to revoke)."""


def _issue(session: Session, opd: str, label: str) -> str:
    token = new_secret(f"aduan_{opd.lower()}_")
    session.add(OpdToken(opd=opd, token_hash=digest(token), label=label))
    return token


def create_token(engine: Engine, opd: str, label: str = "") -> str:
    """A new token for `opd`; shown once, never stored in the clear."""
    with transaction(engine) as session:
        return _issue(session, opd, label)


def opd_for_token(session: Session, token: str, configured: Container[str]) -> str | None:
    """The OPD of a valid token: unrevoked, and its OPD still in the configuration."""
    row = active_opd_token(session, digest(token))
    return row.opd if row is not None and row.opd in configured else None


def list_tokens(engine: Engine | Session, opd: str | None = None) -> list[OpdToken]:
    with within(engine) as session:
        return list(opd_tokens(session, opd))


def _revoke(session: Session, target: str, actor: str) -> list[OpdToken]:
    if target.isdigit():
        rows = list(active_opd_tokens(session, token_id=int(target)))
    else:
        rows = list(active_opd_tokens(session, opd=target))
    now = datetime.now(UTC)
    for row in rows:
        row.revoked_at = now
        session.add(row)
        session.add(
            Event(
                kind="opd_token_revoked",
                actor=actor,
                note=f"status-API token {row.id} of {row.opd} revoked",
            )
        )
        log.info("status-API token %s of %s revoked by %s", row.id, row.opd, actor)
    return rows


def revoke_tokens(engine: Engine, target: str, actor: str) -> list[OpdToken]:
    """Revoke token number `target`, or every active token of OPD `target`."""
    with transaction(engine) as session:
        rows = _revoke(session, target, actor)
        if not rows:
            raise TokenError(f"no active status-API token {target!r}")
    return rows


def rotate_token(
    engine: Engine | Session, opd: str, actor: str, token_id: int | None = None, label: str = ""
) -> tuple[str, list[OpdToken]]:
    """A new token for `opd`, and the old ones (or only token `token_id`) revoked, at once."""
    with within(engine) as session:
        if token_id is not None:
            old = session.get(OpdToken, token_id)
            if old is None or old.opd != opd or old.revoked_at is not None:
                raise TokenError(f"no active status-API token {token_id} of {opd}")
        revoked = _revoke(session, str(token_id) if token_id is not None else opd, actor)
        return _issue(session, opd, label), revoked
