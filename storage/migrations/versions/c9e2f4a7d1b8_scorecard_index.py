"""scorecard index

An index holding every column the scorecard adds up, so that the public rapor is added up
from it instead of reading every complaint's wide row.

Revision ID: c9e2f4a7d1b8
Revises: a4d81c6e0f93
Create Date: 2026-12-04 19:05:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = 'c9e2f4a7d1b8'
down_revision: str | None = 'a4d81c6e0f93'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    'duplicate_of_id', 'opd', 'category', 'status', 'created_at', 'due_at',
    'first_response_at', 'resolved_at', 'rating',
]


def upgrade() -> None:
    op.create_index('ix_complaint_scorecard', 'complaint', COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index('ix_complaint_scorecard', table_name='complaint')
