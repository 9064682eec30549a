"""Failed ownership proofs, counted per request number and per sender (guessing stops).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 10:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the table the lookups and cancellations count their failures in."""
    op.create_table(
        "proof_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proof_failure")),
    )
    op.create_index("ix_proof_failure_key_created_at", "proof_failure", ["key", "created_at"])


def downgrade() -> None:
    """Forget the counted failures."""
    op.drop_index("ix_proof_failure_key_created_at", table_name="proof_failure")
    op.drop_table("proof_failure")
