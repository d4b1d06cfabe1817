"""the deployment a database belongs to

One row naming the instance (config.yaml's `instance.name`) that claimed the database; commands
run with another deployment's configuration are refused.

Revision ID: c3f1d2e4a5b6
Revises: b7c4e2a91d30
Create Date: 2026-12-03 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "c3f1d2e4a5b6"
down_revision: str | None = "b7c4e2a91d30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deployment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("claimed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("deployment")
