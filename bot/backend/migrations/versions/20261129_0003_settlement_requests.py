"""Settlement requests: help with settling (落户) and the personnel file (档案转存).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 09:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = "'housing', 'schooling', 'hospital', 'callback'"
_NEW_KINDS = "'housing', 'schooling', 'hospital', 'settlement', 'callback'"


def upgrade() -> None:
    """Accept settlement requests."""
    _set_request_kinds(_NEW_KINDS)


def downgrade() -> None:
    """Refuse settlement requests again (fails while any is stored, as it should)."""
    _set_request_kinds(_OLD_KINDS)


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
