"""Tables of notice versions and of the consent given with each request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.backend.db import Base, UTCDateTime


class ConsentNotice(Base):
    """One published, immutable version of a personal-data notice."""

    __tablename__ = "consent_notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConsentRecord(Base):
    """The proof that an applicant agreed to a notice version before submitting."""

    __tablename__ = "consent_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_request.id", ondelete="RESTRICT"), unique=True
    )
    notice_id: Mapped[int] = mapped_column(
        ForeignKey("consent_notice.id", ondelete="RESTRICT"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[str] = mapped_column(String(128))
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    notice: Mapped[ConsentNotice] = relationship(lazy="joined")
