"""Tables the analytics consumer fills from Rasa's event stream.

Only what the figures need is kept: pseudonymous conversation keys (a keyed
hash of the sender id), intent names and confidences, channel and time; user
text only masked, only for the one latest message of a conversation (to file it
under "unanswered" when the assistant then says it is not sure), and for
questions that went unanswered or were understood with low confidence.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.backend.db import Base, UTCDateTime

#: what a stored event counts towards (see bot/backend/analytics/events.py)
EVENT_KINDS = ("session", "user", "fallback", "unanswered", "handoff")


class AnalyticsConversation(Base):
    """One Rasa session of one sender: what containment counts."""

    __tablename__ = "analytics_conversation"
    __table_args__ = (Index("ix_analytics_conversation_sender_started", "sender", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: keyed hash of (sender, session start): stable under redelivery
    key: Mapped[str] = mapped_column(String(64), unique=True)
    #: keyed hash of the sender id (never the id itself)
    sender: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str | None] = mapped_column(String(32))
    #: the latest user message of the session (masked), kept for the "unanswered" list
    last_event_key: Mapped[str | None] = mapped_column(String(64))
    last_text: Mapped[str | None] = mapped_column(Text)
    last_intent: Mapped[str | None] = mapped_column(String(64))
    last_confidence: Mapped[float | None] = mapped_column(Float)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AnalyticsEvent(Base):
    """One counted event; ``event_key`` makes a duplicate or redelivery a no-op."""

    __tablename__ = "analytics_event"
    __table_args__ = (Index("ix_analytics_event_kind_occurred_at", "kind", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: sha256 of (sender, event type, timestamp, the event's canonical JSON)
    event_key: Mapped[str] = mapped_column(String(64), unique=True)
    conversation_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: the intent (user), the action or response (fallback, unanswered, handoff)
    name: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    channel: Mapped[str | None] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AnalyticsQuestion(Base):
    """A user message the assistant could not answer or barely understood (masked)."""

    __tablename__ = "analytics_question"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the user event's key: one row per message, whatever is redelivered
    event_key: Mapped[str] = mapped_column(String(64), unique=True)
    conversation_id: Mapped[int] = mapped_column(Integer)
    #: masked text as the user wrote it (first occurrence shown on the page)
    text: Mapped[str] = mapped_column(Text)
    #: masked, normalised text the list groups by
    normalised: Mapped[str] = mapped_column(String(200), index=True)
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    #: ``unanswered`` (the assistant said it was not sure) or ``low_confidence``
    reason: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
