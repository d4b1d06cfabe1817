"""followers

The contact a citizen gives on a web form (e-mail, phone): sent the tracking link once, told
of status changes once confirmed.

Revision ID: a4d81c6e0f93
Revises: f7a3c1e9b2d4
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = 'a4d81c6e0f93'
down_revision: str | None = 'f7a3c1e9b2d4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('follower',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('confirm_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('link_sent_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('complaint_id', 'contact_id')
    )
    op.create_index('ix_follower_complaint_id', 'follower', ['complaint_id'], unique=False)
    op.create_index('ix_follower_contact_sent', 'follower', ['contact_id', 'link_sent_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_follower_contact_sent', table_name='follower')
    op.drop_index('ix_follower_complaint_id', table_name='follower')
    op.drop_table('follower')
