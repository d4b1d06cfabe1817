"""index for the same-problem lookup: original complaints by category and time

Without it the lookup reads every complaint of the category (and sorts them) for each new
complaint, so intake slows down as complaints accumulate.

Revision ID: 5d1e0c7a9b21
Revises: 72470b264c13
Create Date: 2026-11-30 22:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d1e0c7a9b21"
down_revision: str | None = "72470b264c13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORIGINALS_ONLY = sa.text("duplicate_of_id IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_complaint_same_problem",
        "complaint",
        ["category", "created_at"],
        unique=False,
        sqlite_where=ORIGINALS_ONLY,
        postgresql_where=ORIGINALS_ONLY,
    )


def downgrade() -> None:
    op.drop_index("ix_complaint_same_problem", table_name="complaint")
