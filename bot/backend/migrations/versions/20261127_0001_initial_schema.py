"""Initial schema: reference data, consent, service requests and their audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 15:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = "'housing', 'schooling', 'hospital'"
_STATUSES = "'submitted', 'accepted', 'in_progress', 'completed', 'rejected', 'cancelled'"
_CHANNELS = "'rest', 'socketio', 'wechat', 'hotline', 'cli'"


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _timestamp(name: str) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    """Create every table, then forbid changes to audit rows."""
    op.create_table(
        "district",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("aliases", _json(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_district")),
        sa.UniqueConstraint("name", name=op.f("uq_district_name")),
    )
    op.create_table(
        "hospital",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("short_names", _json(), nullable=False),
        sa.Column("district_code", sa.String(16), nullable=False),
        sa.Column("green_channel_24h", sa.Boolean(), nullable=False),
        sa.Column("is_sample", sa.Boolean(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.code"],
            name=op.f("fk_hospital_district_code_district"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospital")),
        sa.UniqueConstraint("code", name=op.f("uq_hospital_code")),
    )
    op.create_index(op.f("ix_hospital_district_code"), "hospital", ["district_code"])
    op.create_table(
        "hospital_department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hospital_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hospital_id"],
            ["hospital.id"],
            name=op.f("fk_hospital_department_hospital_id_hospital"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospital_department")),
        sa.UniqueConstraint(
            "hospital_id", "name", name=op.f("uq_hospital_department_hospital_id_name")
        ),
    )
    op.create_table(
        "consent_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _timestamp("published_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_notice")),
        sa.UniqueConstraint("version", name=op.f("uq_consent_notice_version")),
    )
    op.create_index(op.f("ix_consent_notice_kind"), "consent_notice", ["kind"])
    op.create_table(
        "service_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(24), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("applicant_name", sa.String(50), nullable=False),
        sa.Column("applicant_phone", sa.String(11), nullable=False),
        sa.Column("applicant_id_number", sa.String(18), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("details", _json(), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint(f"kind IN ({_KINDS})", name=op.f("ck_service_request_kind")),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name=op.f("ck_service_request_status")),
        sa.CheckConstraint(f"channel IN ({_CHANNELS})", name=op.f("ck_service_request_channel")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_request")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_service_request_idempotency_key")),
        sa.UniqueConstraint("number", name=op.f("uq_service_request_number")),
    )
    op.create_index("ix_service_request_kind_created_at", "service_request", ["kind", "created_at"])
    op.create_index(op.f("ix_service_request_status"), "service_request", ["status"])
    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        _timestamp("agreed_at"),
        _timestamp("recorded_at"),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["consent_notice.id"],
            name=op.f("fk_consent_record_notice_id_consent_notice"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["service_request.id"],
            name=op.f("fk_consent_record_request_id_service_request"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_record")),
        sa.UniqueConstraint("request_id", name=op.f("uq_consent_record_request_id")),
    )
    op.create_index(op.f("ix_consent_record_notice_id"), "consent_record", ["notice_id"])
    op.create_table(
        "request_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["service_request.id"],
            name=op.f("fk_request_event_request_id_service_request"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_event")),
    )
    op.create_index(op.f("ix_request_event_request_id"), "request_event", ["request_id"])
    op.create_table(
        "request_sequence",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "local_date", name=op.f("pk_request_sequence")),
    )
    _forbid_audit_changes()


def _forbid_audit_changes() -> None:
    """Make ``request_event`` append-only in the database itself."""
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION request_event_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'request_event is append-only';
            END;
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER request_event_append_only "
            "BEFORE UPDATE OR DELETE ON request_event "
            "FOR EACH ROW EXECUTE FUNCTION request_event_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER request_event_no_{verb.lower()} "
                f"BEFORE {verb} ON request_event "
                "BEGIN SELECT RAISE(ABORT, 'request_event is append-only'); END"
            )


def downgrade() -> None:
    """Drop every table in reverse order of dependency."""
    op.drop_table("request_sequence")
    op.drop_table("request_event")  # its triggers go with it
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS request_event_append_only()")
    op.drop_table("consent_record")
    op.drop_table("service_request")
    op.drop_table("consent_notice")
    op.drop_table("hospital_department")
    op.drop_table("hospital")
    op.drop_table("district")
