"""public photos

Photos citizens upload on the public report page, stored stripped of their metadata and
served by a random key.

Revision ID: c3f1a8d2e4b6
Revises: b7c4e2a91d30
Create Date: 2026-12-03 12:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = 'c3f1a8d2e4b6'
down_revision: str | None = 'b7c4e2a91d30'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=43), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('photo')
