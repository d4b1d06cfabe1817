"""merge the area list and the public photos

Two branches of the schema, grown side by side, joined again.

Revision ID: e5b2d9c4a1f0
Revises: 7a119d30f84d, c3f1a8d2e4b6
Create Date: 2026-12-03 13:10:00
"""

from collections.abc import Sequence

revision: str = "e5b2d9c4a1f0"
down_revision: tuple[str, ...] = ("7a119d30f84d", "c3f1a8d2e4b6")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
