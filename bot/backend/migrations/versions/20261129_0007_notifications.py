"""Status updates pushed to the applicant: the notification outbox and opt-outs (issue 15).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 12:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = (
    "'pending', 'sending', 'awaiting_visit', 'delivered', 'failed', 'callback', 'called', "
    "'opted_out'"
)


def _time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the outbox (one row per request and status) and the opt-out list."""
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(16), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _time("next_attempt_at"),
        _time("created_at"),
        _time("delivered_at", nullable=True),
        sa.Column("handled_by", sa.String(80), nullable=True),
        sa.CheckConstraint(f"state IN ({_STATES})", name=op.f("ck_notification_state")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["service_request.id"],
            name=op.f("fk_notification_request_id_service_request"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("request_id", "status", name=op.f("uq_notification_request_id_status")),
    )
    op.create_index("ix_notification_request_id", "notification", ["request_id"])
    op.create_index(
        "ix_notification_state_next_attempt_at", "notification", ["state", "next_attempt_at"]
    )
    op.create_table(
        "notification_opt_out",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("channel", "sender_id", name=op.f("pk_notification_opt_out")),
    )


def downgrade() -> None:
    """Drop the outbox and the opt-out list."""
    op.drop_table("notification_opt_out")
    op.drop_index("ix_notification_state_next_attempt_at", table_name="notification")
    op.drop_index("ix_notification_request_id", table_name="notification")
    op.drop_table("notification")
