"""Write parsed events into the analytics tables, once each, whatever is redelivered.

Every insert is ``INSERT … ON CONFLICT DO NOTHING`` on a unique key (the
event's key, the conversation's key), so a duplicate message, a redelivered
batch or two consumers on one queue change nothing; the caller acknowledges
the messages only after ``store`` has committed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.backend.analytics.events import Parsed, group_text, needs_review, pseudonym
from bot.backend.analytics.models import (
    AnalyticsConversation,
    AnalyticsEvent,
    AnalyticsQuestion,
)


@dataclass
class IngestReport:
    """How many events were new, and how many were already stored or not counted."""

    stored: int = 0
    duplicates: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def _insert(session: Session, table: Any) -> Any:
    """Return the dialect's INSERT, which knows ON CONFLICT (PostgreSQL and SQLite)."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def _insert_once(session: Session, statement: Any, *, key: str) -> bool:
    """Run an INSERT … ON CONFLICT (key) DO NOTHING; tell whether a row was added.

    RETURNING says it on both databases (psycopg reports no rowcount here).
    """
    table = statement.table
    result = session.execute(
        statement.on_conflict_do_nothing(index_elements=[key]).returning(table.c.id)
    )
    return result.first() is not None


class Ingester:
    """Turn parsed events into rows; one instance per consumer (it caches nothing)."""

    def __init__(self, *, sender_key: bytes, tz: ZoneInfo) -> None:
        self.sender_key = sender_key
        self.tz = tz

    def _conversation_key(self, sender: str, marker: str) -> str:
        return hashlib.sha256(f"{sender}\x1f{marker}".encode()).hexdigest()

    def _conversation(self, session: Session, parsed: Parsed, sender: str) -> int:
        """Find the session an event belongs to; open one if the stream began mid-session."""
        if parsed.kind == "session":
            key = self._conversation_key(sender, parsed.occurred_at.isoformat())
            started = parsed.occurred_at
        else:
            found = session.scalar(
                select(AnalyticsConversation.id)
                .where(
                    AnalyticsConversation.sender == sender,
                    AnalyticsConversation.started_at <= parsed.occurred_at,
                )
                .order_by(AnalyticsConversation.started_at.desc())
                .limit(1)
            )
            if found is not None:
                return int(found)
            day = parsed.occurred_at.astimezone(self.tz).date().isoformat()
            key = self._conversation_key(sender, f"day:{day}")
            started = parsed.occurred_at
        _insert_once(
            session,
            _insert(session, AnalyticsConversation).values(
                key=key, sender=sender, started_at=started
            ),
            key="key",
        )
        return int(
            session.scalar(select(AnalyticsConversation.id).where(AnalyticsConversation.key == key))
            or 0
        )

    def _question(
        self, session: Session, *, key: str, conversation_id: int, text: str, reason: str,
        intent: str | None, confidence: float | None, at: datetime,
    ) -> None:  # fmt: skip
        """File a message on the policy staff's list; "unanswered" outranks "low confidence"."""
        statement = _insert(session, AnalyticsQuestion).values(
            event_key=key, conversation_id=conversation_id, text=text,
            normalised=group_text(text), intent=intent, confidence=confidence,
            reason=reason, occurred_at=at,
        )  # fmt: skip
        if reason == "unanswered":
            statement = statement.on_conflict_do_update(
                index_elements=["event_key"], set_={"reason": "unanswered"}
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=["event_key"])
        session.execute(statement)

    def add(self, session: Session, parsed: Parsed, report: IngestReport) -> None:
        """Store one event (no commit): its row, its conversation, its question."""
        sender = pseudonym(parsed.sender_id, self.sender_key)
        conversation_id = self._conversation(session, parsed, sender)
        added = _insert_once(
            session,
            _insert(session, AnalyticsEvent).values(
                event_key=parsed.key, conversation_id=conversation_id, kind=parsed.kind,
                name=parsed.name, confidence=parsed.confidence, channel=parsed.channel,
                occurred_at=parsed.occurred_at,
            ),
            key="event_key",
        )  # fmt: skip
        if not added:
            report.duplicates += 1
            return
        report.stored += 1
        report.reasons[parsed.kind] = report.reasons.get(parsed.kind, 0) + 1
        conversation = session.get(AnalyticsConversation, conversation_id)
        if conversation is None:  # pragma: no cover - inserted or found just above
            return
        if parsed.kind == "user":
            self._after_user(session, parsed, conversation)
        elif parsed.kind == "unanswered" and conversation.last_text:
            self._question(
                session, key=str(conversation.last_event_key), conversation_id=conversation_id,
                text=conversation.last_text, reason="unanswered",
                intent=conversation.last_intent, confidence=conversation.last_confidence,
                at=conversation.last_at or parsed.occurred_at,
            )  # fmt: skip

    def _after_user(
        self, session: Session, parsed: Parsed, conversation: AnalyticsConversation
    ) -> None:
        if conversation.channel is None and parsed.channel:
            conversation.channel = parsed.channel
        newer = conversation.last_at is None or parsed.occurred_at >= conversation.last_at
        if newer:
            # only the latest message is kept, masked, until the next one replaces it
            conversation.last_event_key = parsed.key if parsed.text else None
            conversation.last_text = parsed.text
            conversation.last_intent = parsed.name
            conversation.last_confidence = parsed.confidence
            conversation.last_at = parsed.occurred_at
        if needs_review(parsed) and parsed.text:
            self._question(
                session, key=parsed.key, conversation_id=conversation.id, text=parsed.text,
                reason="low_confidence", intent=parsed.name, confidence=parsed.confidence,
                at=parsed.occurred_at,
            )  # fmt: skip

    def store(self, session: Session, events: Iterable[Parsed | None]) -> IngestReport:
        """Store a batch in one transaction and commit it; None entries count as skipped."""
        report = IngestReport()
        try:
            for parsed in events:
                if parsed is None:
                    report.skipped += 1
                    continue
                self.add(session, parsed, report)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return report


def forget_latest_messages(session: Session, *, before: datetime) -> int:
    """Empty the kept latest message of conversations idle since ``before`` (the purge)."""
    result = session.execute(
        update(AnalyticsConversation)
        .where(AnalyticsConversation.last_at < before, AnalyticsConversation.last_text.is_not(None))
        .values(last_text=None, last_event_key=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
