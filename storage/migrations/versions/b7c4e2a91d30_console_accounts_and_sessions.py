"""console accounts and sessions

Staff get a console sign-in (login, argon2 password hash, lockout after failed tries) and an
origin: "config" for those kept in step with config.yaml's `staff:`, "console" for accounts
made with `aduan staff add`, which config changes leave alone. Signed-in browsers are
console sessions (only the token's hash is kept).

Revision ID: b7c4e2a91d30
Revises: dd97c6be9f97
Create Date: 2026-12-03 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = 'b7c4e2a91d30'
down_revision: str | None = 'dd97c6be9f97'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default='config'))
        batch_op.add_column(sa.Column('login', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column('password_temporary', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('failed_signins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint('uq_staff_login', ['login'])

    op.create_table('consolesession',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('consolesession', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consolesession_staff_id'), ['staff_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consolesession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consolesession_staff_id'))
    op.drop_table('consolesession')

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_constraint('uq_staff_login', type_='unique')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_signins')
        batch_op.drop_column('password_temporary')
        batch_op.drop_column('password_hash')
        batch_op.drop_column('login')
        batch_op.drop_column('origin')
