"""Hotline console and handoff: agents, sessions, audit log, handoffs; callback requests.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = "'housing', 'schooling', 'hospital'"
_NEW_KINDS = "'housing', 'schooling', 'hospital', 'callback'"


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the console's tables and accept callback requests."""
    _set_request_kinds(_NEW_KINDS)
    op.create_table(
        "agent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(30), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("teams", _json(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        _time("locked_until", nullable=True),
        _time("last_seen_at", nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.CheckConstraint("role IN ('agent', 'supervisor')", name=op.f("ck_agent_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent")),
        sa.UniqueConstraint("username", name=op.f("uq_agent_username")),
    )
    op.create_table(
        "agent_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        _time("created_at"),
        _time("last_used_at"),
        _time("expires_at"),
        _time("ended_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agent.id"],
            name=op.f("fk_agent_session_agent_id_agent"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_agent_session_token_hash")),
    )
    op.create_index(op.f("ix_agent_session_agent_id"), "agent_session", ["agent_id"])
    op.create_table(
        "agent_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        _time("created_at"),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agent.id"],
            name=op.f("fk_agent_audit_agent_id_agent"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_audit")),
    )
    op.create_index(op.f("ix_agent_audit_agent_id"), "agent_audit", ["agent_id"])
    op.create_index(op.f("ix_agent_audit_created_at"), "agent_audit", ["created_at"])
    op.create_table(
        "handoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("team", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", _json(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("tracker_offset", sa.Integer(), nullable=False),
        _time("created_at"),
        _time("claimed_at", nullable=True),
        _time("closed_at", nullable=True),
        sa.CheckConstraint(
            "status IN ('waiting', 'active', 'closed')", name=op.f("ck_handoff_status")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_handoff_agent_id_agent"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff")),
    )
    op.create_index(op.f("ix_handoff_sender_id"), "handoff", ["sender_id"])
    op.create_index(op.f("ix_handoff_status"), "handoff", ["status"])
    op.create_table(
        "handoff_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(8), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("tracker_index", sa.Integer(), nullable=True),
        _time("created_at"),
        sa.CheckConstraint(
            "author IN ('user', 'agent', 'system')", name=op.f("ck_handoff_message_author")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agent.id"],
            name=op.f("fk_handoff_message_agent_id_agent"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoff.id"],
            name=op.f("fk_handoff_message_handoff_id_handoff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_message")),
        sa.UniqueConstraint(
            "handoff_id",
            "tracker_index",
            name=op.f("uq_handoff_message_handoff_id_tracker_index"),
        ),
    )
    op.create_index(op.f("ix_handoff_message_handoff_id"), "handoff_message", ["handoff_id"])
    _forbid_audit_changes()


def _set_request_kinds(kinds: str) -> None:
    """Replace the CHECK on ``service_request.kind`` (SQLite copies the table)."""
    sqlite = op.get_context().dialect.name == "sqlite"
    if sqlite:
        # the copy drops and renames the table; rows pointing at it must not block that
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("service_request", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_service_request_kind"), type_="check")
        batch.create_check_constraint("kind", f"kind IN ({kinds})")
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")


def _forbid_audit_changes() -> None:
    """Make ``agent_audit`` append-only in the database itself, like ``request_event``."""
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION agent_audit_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'agent_audit is append-only';
            END;
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER agent_audit_append_only "
            "BEFORE UPDATE OR DELETE ON agent_audit "
            "FOR EACH ROW EXECUTE FUNCTION agent_audit_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER agent_audit_no_{verb.lower()} "
                f"BEFORE {verb} ON agent_audit "
                "BEGIN SELECT RAISE(ABORT, 'agent_audit is append-only'); END"
            )


def downgrade() -> None:
    """Drop the console's tables; callback requests must be gone first."""
    op.drop_table("handoff_message")
    op.drop_table("handoff")
    op.drop_table("agent_audit")  # its triggers go with it
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS agent_audit_append_only()")
    op.drop_table("agent_session")
    op.drop_table("agent")
    _set_request_kinds(_OLD_KINDS)
