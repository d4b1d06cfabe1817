"""API keys of the websites and apps that post to the web channel (`aduan web key …`).

A key names its client; the web channel namespaces that client's citizens and submission ids
by the name, so one client can never reach another's citizens. Only a hash of a key is kept.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from aduan.access.credentials import digest, new_secret
from storage.access import active_web_key, active_web_keys, web_keys
from storage.engine import transaction
from storage.models import Event, WebClientKey

log = logging.getLogger("aduan.access.web_clients")

CLIENT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


class WebClientError(ValueError):
    """A key command that cannot be done (bad name, unknown key)."""


def create_key(engine: Engine, client: str, label: str = "", actor: str = "system") -> str:
    """A new key for `client` (printed once, never stored in the clear); audited."""
    if not CLIENT_NAME.fullmatch(client):
        raise WebClientError(
            f"client name {client!r}: use 1-32 lowercase letters, digits or '-' (e.g. portal-kota)"
        )
    key = new_secret(f"aduan_web_{client}_")
    with transaction(engine) as session:
        row = WebClientKey(client=client, key_hash=digest(key), label=label)
        session.add(row)
        session.flush()
        session.add(
            Event(kind="web_key_created", actor=actor, note=f"web client key {row.id} of {client}")
        )
    log.info("web client key %s of %s created by %s", row.id, client, actor)
    return key


def client_for_key(session: Session, key: str) -> str | None:
    """The client a valid, unrevoked key belongs to."""
    row = active_web_key(session, digest(key))
    return row.client if row else None


def list_keys(engine: Engine) -> list[WebClientKey]:
    with transaction(engine) as session:
        return list(web_keys(session))


def revoke_keys(engine: Engine, target: str, actor: str) -> list[WebClientKey]:
    """Revoke key number `target`, or every active key of client `target`; audited."""
    with transaction(engine) as session:
        if target.isdigit():
            rows = list(active_web_keys(session, key_id=int(target)))
        else:
            rows = list(active_web_keys(session, client=target))
        if not rows:
            raise WebClientError(f"no active web client key {target!r}")
        now = datetime.now(UTC)
        for row in rows:
            row.revoked_at = now
            session.add(row)
            session.add(
                Event(
                    kind="web_key_revoked",
                    actor=actor,
                    note=f"web client key {row.id} of {row.client} revoked",
                )
            )
            log.info("web client key %s of %s revoked by %s", row.id, row.client, actor)
    return rows
