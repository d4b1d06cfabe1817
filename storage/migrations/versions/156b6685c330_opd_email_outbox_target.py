"""OPD email outbox target

OPD email destinations are queued for the outbox target "smtp": "email" is the email channel's
(a citizen's message), and both under one name sent one kind with the other's sender. Dispatch
items still waiting (or dead) under "email" are moved to "smtp".

Revision ID: 156b6685c330
Revises: c9e2f4a7d1b8
Create Date: 2026-12-04 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "156b6685c330"
down_revision: str | None = "c9e2f4a7d1b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTBOX = sa.table(
    "outboxitem",
    sa.column("kind", sa.String),
    sa.column("target", sa.String),
    sa.column("status", sa.String),
)


def _retarget(old: str, new: str) -> None:
    op.execute(
        OUTBOX.update()
        .where(OUTBOX.c.kind == "dispatch")
        .where(OUTBOX.c.target == old)
        .where(OUTBOX.c.status.in_(["pending", "dead"]))
        .values(target=new)
    )


def upgrade() -> None:
    _retarget("email", "smtp")


def downgrade() -> None:
    _retarget("smtp", "email")
