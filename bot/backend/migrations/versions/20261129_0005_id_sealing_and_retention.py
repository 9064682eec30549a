"""Resident ID numbers sealed at rest, and what the retention purge needs.

- ``service_request.applicant_id_sealed`` (AES-GCM with a key derived from
  ``ID_NUMBER_KEY``), ``applicant_id_hash`` (keyed lookup hash) and
  ``applicant_id_masked``; existing plain numbers are sealed and the plain
  column emptied, so upgrading a database that holds ID numbers needs
  ``ID_NUMBER_KEY`` in the environment.
- ``service_request.anonymised_at``: when the purge removed the personal data.
- ``request_event`` stays append-only with one deliberate exception: an UPDATE
  that sets nothing but ``note`` (free text) to NULL, which only the purge does.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 11:00:00+00:00
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.backend.requests.idcrypt import IdNumberVault
from bot.common.pii import mask_id_number

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SAME_EXCEPT_NOTE = (
    "NEW.id = OLD.id AND NEW.request_id = OLD.request_id AND NEW.actor = OLD.actor "
    "AND NEW.action = OLD.action AND NEW.from_status IS OLD.from_status "
    "AND NEW.to_status = OLD.to_status AND NEW.created_at = OLD.created_at"
)


def upgrade() -> None:
    """Add the columns, seal existing ID numbers, let the purge empty audit notes."""
    op.add_column("service_request", sa.Column("applicant_id_sealed", sa.String(120)))
    op.add_column("service_request", sa.Column("applicant_id_hash", sa.String(64)))
    op.add_column("service_request", sa.Column("applicant_id_masked", sa.String(18)))
    op.add_column("service_request", sa.Column("anonymised_at", sa.DateTime(timezone=True)))
    op.create_index(
        op.f("ix_service_request_applicant_id_hash"), "service_request", ["applicant_id_hash"]
    )
    _seal_existing_id_numbers()
    _allow_purging_notes()


def downgrade() -> None:
    """Open the sealed numbers again (needs the key) and restore the strict triggers."""
    _restore_strict_triggers()
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, applicant_id_sealed FROM service_request "
            "WHERE applicant_id_sealed IS NOT NULL"
        )
    ).all()
    if rows:
        vault = IdNumberVault(os.environ.get("ID_NUMBER_KEY", "").strip())
        for row_id, sealed in rows:
            bind.execute(
                sa.text("UPDATE service_request SET applicant_id_number = :plain WHERE id = :id"),
                {"plain": vault.open(sealed), "id": row_id},
            )
    op.drop_index(op.f("ix_service_request_applicant_id_hash"), table_name="service_request")
    for column in (
        "anonymised_at",
        "applicant_id_masked",
        "applicant_id_hash",
        "applicant_id_sealed",
    ):
        with op.batch_alter_table("service_request") as batch:
            batch.drop_column(column)


def _seal_existing_id_numbers() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, applicant_id_number FROM service_request "
            "WHERE applicant_id_number IS NOT NULL"
        )
    ).all()
    if not rows:
        return
    key = os.environ.get("ID_NUMBER_KEY", "").strip()
    if not key:
        raise RuntimeError(
            "拒绝迁移：数据库中有身份证号，需要 ID_NUMBER_KEY 才能加密 / "
            "ID_NUMBER_KEY is needed to seal the stored resident ID numbers"
        )
    vault = IdNumberVault(key)
    for row_id, plain in rows:
        bind.execute(
            sa.text(
                "UPDATE service_request SET applicant_id_sealed = :sealed, "
                "applicant_id_hash = :hash, applicant_id_masked = :masked, "
                "applicant_id_number = NULL WHERE id = :id"
            ),
            {
                "sealed": vault.seal(plain),
                "hash": vault.lookup_hash(plain),
                "masked": mask_id_number(plain),
                "id": row_id,
            },
        )


def _allow_purging_notes() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION request_event_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND NEW.note IS NULL
                   AND {_SAME_EXCEPT_NOTE.replace(" IS OLD.", " IS NOT DISTINCT FROM OLD.")} THEN
                    RETURN NEW;  -- the purge empties free text; nothing else may change
                END IF;
                RAISE EXCEPTION 'request_event is append-only';
            END;
            $$
            """
        )
    else:
        op.execute("DROP TRIGGER request_event_no_update")
        op.execute(
            "CREATE TRIGGER request_event_no_update BEFORE UPDATE ON request_event "
            f"WHEN NOT (NEW.note IS NULL AND {_SAME_EXCEPT_NOTE}) "
            "BEGIN SELECT RAISE(ABORT, 'request_event is append-only'); END"
        )


def _restore_strict_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION request_event_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'request_event is append-only';
            END;
            $$
            """
        )
    else:
        op.execute("DROP TRIGGER request_event_no_update")
        op.execute(
            "CREATE TRIGGER request_event_no_update BEFORE UPDATE ON request_event "
            "BEGIN SELECT RAISE(ABORT, 'request_event is append-only'); END"
        )
