"""One row per failed ownership proof: inserted, counted, and swept by the purge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.backend.db import Base, UTCDateTime


class ProofFailure(Base):
    """A wrong phone proof against a request number (or by one sender)."""

    __tablename__ = "proof_failure"
    __table_args__ = (Index("ix_proof_failure_key_created_at", "key", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``number:HS20261129-4827K`` or ``sender:<channel>:<sender id>``
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
