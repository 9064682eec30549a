"""Analytics tables the event-stream consumer fills (bot/backend/analytics).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 12:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add conversations, counted events and the questions list."""
    op.create_table(
        "analytics_conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("last_event_key", sa.String(length=64), nullable=True),
        sa.Column("last_text", sa.Text(), nullable=True),
        sa.Column("last_intent", sa.String(length=64), nullable=True),
        sa.Column("last_confidence", sa.Float(), nullable=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_conversation")),
        sa.UniqueConstraint("key", name=op.f("uq_analytics_conversation_key")),
    )
    op.create_index(
        "ix_analytics_conversation_sender_started",
        "analytics_conversation",
        ["sender", "started_at"],
    )
    op.create_table(
        "analytics_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_event")),
        sa.UniqueConstraint("event_key", name=op.f("uq_analytics_event_event_key")),
    )
    op.create_index(
        op.f("ix_analytics_event_conversation_id"), "analytics_event", ["conversation_id"]
    )
    op.create_index(
        "ix_analytics_event_kind_occurred_at", "analytics_event", ["kind", "occurred_at"]
    )
    op.create_table(
        "analytics_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("normalised", sa.String(length=200), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_question")),
        sa.UniqueConstraint("event_key", name=op.f("uq_analytics_question_event_key")),
    )
    op.create_index(op.f("ix_analytics_question_normalised"), "analytics_question", ["normalised"])
    op.create_index(
        op.f("ix_analytics_question_occurred_at"), "analytics_question", ["occurred_at"]
    )


def downgrade() -> None:
    """Drop the analytics tables (the event stream can be replayed into them)."""
    op.drop_table("analytics_question")
    op.drop_table("analytics_event")
    op.drop_table("analytics_conversation")
