"""Tables of service requests, their audit trail and their daily number counters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.backend.db import Base, JSONType, UTCDateTime
from bot.backend.requests.lifecycle import CHANNELS, KINDS, STATUSES


def _one_of(column: str, values: tuple[str, ...]) -> str:
    """Write a CHECK expression limiting ``column`` to ``values``."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class ServiceRequest(Base):
    """One application for housing, schooling or a hospital green channel."""

    __tablename__ = "service_request"
    __table_args__ = (
        CheckConstraint(_one_of("kind", KINDS), name="kind"),
        CheckConstraint(_one_of("status", STATUSES), name="status"),
        CheckConstraint(_one_of("channel", CHANNELS), name="channel"),
        Index("ix_service_request_kind_created_at", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    applicant_name: Mapped[str] = mapped_column(String(50))
    applicant_phone: Mapped[str] = mapped_column(String(11))
    #: no longer written: NULL in every row since migration 0005 moved the numbers into
    #: ``applicant_id_sealed`` (kept because SQLite cannot drop a column in place)
    applicant_id_number: Mapped[str | None] = mapped_column(String(18))
    #: sealed with ID_NUMBER_KEY (bot/backend/requests/idcrypt.py)
    applicant_id_sealed: Mapped[str | None] = mapped_column(String(120))
    #: keyed hash for lookups by ID number; the masked form for display
    applicant_id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    applicant_id_masked: Mapped[str | None] = mapped_column(String(18))
    channel: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[str] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when the purge removed the personal data (python -m bot.backend.cli purge)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RequestEvent(Base):
    """An append-only audit entry; the database refuses updates and deletes.

    The one exception is the purge's anonymisation: an UPDATE that only sets
    ``note`` (free text) to NULL (migration 0005).
    """

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_request.id", ondelete="RESTRICT"), index=True
    )
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RequestSequence(Base):
    """The last number handed out per kind and local day."""

    __tablename__ = "request_sequence"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)
