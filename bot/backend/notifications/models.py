"""The notification outbox and the conversations that asked for no more updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.backend.db import Base, UTCDateTime

#: ``pending`` → ``sending`` (a worker holds it) → ``delivered``; a web user who is not
#: connected waits in ``awaiting_visit``; a push that kept failing is ``failed`` (listed for
#: staff, who may queue it again); hotline (and REST) requests go to agents as ``callback``
#: until an agent marks them ``called``; ``opted_out`` when the user said "不用通知我".
STATES = (
    "pending",
    "sending",
    "awaiting_visit",
    "delivered",
    "failed",
    "callback",
    "called",
    "opted_out",
)
#: what the worker still has to try
OPEN_STATES = ("pending", "awaiting_visit")


class Notification(Base):
    """One status update owed to the applicant: exactly one per request and status."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("request_id", "status"),
        CheckConstraint("state IN ({})".format(", ".join(f"'{s}'" for s in STATES)), name="state"),
        Index("ix_notification_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_request.id", ondelete="RESTRICT"), index=True
    )
    #: the request status this update announces
    status: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: how it reached the user: ``cs`` / ``template`` (WeChat), ``live`` / ``visit`` (web)
    via: Mapped[str | None] = mapped_column(String(16))
    #: the last failure, short and without personal data
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the agent who called back or re-queued it
    handled_by: Mapped[str | None] = mapped_column(String(80))


class NotificationOptOut(Base):
    """A conversation whose user said "不用通知我": its requests get no pushed updates."""

    __tablename__ = "notification_opt_out"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
