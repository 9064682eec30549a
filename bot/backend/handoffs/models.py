"""Tables of handed-off conversations and the messages exchanged in them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.backend.db import Base, JSONType, UTCDateTime

#: waiting in the queue -> active (an agent holds it) -> closed (back with the bot)
HANDOFF_STATUSES = ("waiting", "active", "closed")
AUTHORS = ("user", "agent", "system")


class Handoff(Base):
    """A chat conversation a user asked a person to take over."""

    __tablename__ = "handoff"
    __table_args__ = (CheckConstraint("status IN ('waiting', 'active', 'closed')", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    team: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id", ondelete="RESTRICT"))
    #: how many tracker events were already read for new user messages
    tracker_offset: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HandoffMessage(Base):
    """One message of a handed-off conversation, from the user, an agent or the system."""

    __tablename__ = "handoff_message"
    __table_args__ = (
        CheckConstraint("author IN ('user', 'agent', 'system')", name="author"),
        UniqueConstraint("handoff_id", "tracker_index"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(
        ForeignKey("handoff.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(8))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id", ondelete="RESTRICT"))
    text: Mapped[str] = mapped_column(Text)
    #: the position of a user's message in the Rasa tracker, so it is stored once
    tracker_index: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
