"""merge the deployment owner into the main line

Revision ID: f7a3c1e9b2d4
Revises: e5b2d9c4a1f0, c3f1d2e4a5b6
Create Date: 2026-12-03 13:45:00
"""

from collections.abc import Sequence

revision: str = "f7a3c1e9b2d4"
down_revision: tuple[str, ...] = ("e5b2d9c4a1f0", "c3f1d2e4a5b6")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
