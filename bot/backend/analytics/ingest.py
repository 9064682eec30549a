"""Write parsed events into the analytics tables, once each, whatever is redelivered.

Every insert is ``INSERT … ON CONFLICT DO NOTHING`` on a unique key (the
event's key, the conversation's key), so a duplicate message, a redelivered
batch or two consumers on one queue change nothing; the caller acknowledges
the messages only after ``store`` has committed.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

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
    """Turn parsed events into rows; one instance per consumer (it caches nothing between batches).

    A batch is stored with a few statements whatever its size: the sessions it opens, the
    conversations its events may belong to, its events (``RETURNING`` says which are new),
    the conversations' latest messages and the questions for the policy staff. One event at
    a time took two to four statements each: 3.9 ms of the consumer's CPU per turn of the
    production topology (docs/performance.md, row 34).
    """

    def __init__(self, *, sender_key: bytes, tz: ZoneInfo) -> None:
        self.sender_key = sender_key
        self.tz = tz

    def _conversation_key(self, sender: str, marker: str) -> str:
        return hashlib.sha256(f"{sender}\x1f{marker}".encode()).hexdigest()

    def store(self, session: Session, events: Iterable[Parsed | None]) -> IngestReport:
        """Store a batch in one transaction and commit it; None entries count as skipped."""
        report = IngestReport()
        try:
            batch = []
            for parsed in events:
                if parsed is None:
                    report.skipped += 1
                else:
                    batch.append(parsed)
            if batch:
                self._store(session, batch, report)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return report

    def _store(self, session: Session, batch: list[Parsed], report: IngestReport) -> None:
        pseudonyms = {p.sender_id: pseudonym(p.sender_id, self.sender_key) for p in batch}
        senders = [pseudonyms[p.sender_id] for p in batch]
        self._open_sessions(session, batch, senders)
        conversations = _Conversations.read(session, set(senders), batch)
        rows: dict[str, dict[str, Any]] = {}
        for parsed, sender in zip(batch, senders, strict=True):
            conversation_id = (
                conversations.by_key[self._conversation_key(sender, parsed.occurred_at.isoformat())]
                if parsed.kind == "session"
                else conversations.latest(sender, parsed.occurred_at)
            )
            if conversation_id is None:
                conversation_id = self._day_conversation(session, parsed, sender, conversations)
            rows.setdefault(parsed.key, {
                "event_key": parsed.key, "conversation_id": conversation_id, "kind": parsed.kind,
                "name": parsed.name, "confidence": parsed.confidence, "channel": parsed.channel,
                "occurred_at": parsed.occurred_at,
            })  # fmt: skip
        new = self._insert_events(session, list(rows.values()))
        counted: list[tuple[Parsed, int]] = []
        for parsed in batch:
            if parsed.key not in new:
                report.duplicates += 1
                continue
            new.discard(parsed.key)  # a second copy in the same batch is a duplicate
            report.stored += 1
            report.reasons[parsed.kind] = report.reasons.get(parsed.kind, 0) + 1
            if parsed.kind in ("user", "unanswered"):
                counted.append((parsed, rows[parsed.key]["conversation_id"]))
        if counted:
            self._follow(session, counted)

    def _open_sessions(self, session: Session, batch: list[Parsed], senders: list[str]) -> None:
        """Insert the conversation of every session the batch starts (once each)."""
        opened = {}
        for parsed, sender in zip(batch, senders, strict=True):
            if parsed.kind == "session":
                key = self._conversation_key(sender, parsed.occurred_at.isoformat())
                opened[key] = {"key": key, "sender": sender, "started_at": parsed.occurred_at}
        if opened:
            session.execute(
                _insert(session, AnalyticsConversation.__table__).on_conflict_do_nothing(
                    index_elements=["key"]
                ),
                list(opened.values()),
            )

    def _day_conversation(
        self, session: Session, parsed: Parsed, sender: str, conversations: _Conversations
    ) -> int:
        """Open a conversation for an event whose session began before the stream did."""
        day = parsed.occurred_at.astimezone(self.tz).date().isoformat()
        key = self._conversation_key(sender, f"day:{day}")
        _insert_once(
            session,
            _insert(session, AnalyticsConversation).values(
                key=key, sender=sender, started_at=parsed.occurred_at
            ),
            key="key",
        )
        found = session.execute(
            select(AnalyticsConversation.id, AnalyticsConversation.started_at).where(
                AnalyticsConversation.key == key
            )
        ).one()
        conversations.add(sender, key, int(found.id), found.started_at)
        return int(found.id)

    def _insert_events(self, session: Session, rows: list[dict[str, Any]]) -> set[str]:
        """Insert the events not stored yet; return the keys of those that were new."""
        table = AnalyticsEvent.__table__
        statement = (
            _insert(session, table)
            .on_conflict_do_nothing(index_elements=["event_key"])
            .returning(table.c.event_key)
        )
        return set(session.scalars(statement, rows)) if rows else set()

    def _follow(self, session: Session, counted: list[tuple[Parsed, int]]) -> None:
        """Keep each conversation's latest message and file the questions, in event order."""
        ids = {conversation_id for _, conversation_id in counted}
        found = {
            c.id: c
            for c in session.scalars(
                select(AnalyticsConversation).where(AnalyticsConversation.id.in_(ids))
            )
        }
        questions: dict[str, dict[str, dict[str, Any]]] = {"low_confidence": {}, "unanswered": {}}
        for parsed, conversation_id in counted:
            conversation = found[conversation_id]
            if parsed.kind == "user":
                self._after_user(parsed, conversation, questions)
            elif conversation.last_text:  # unanswered: the message before it was not answered
                questions["unanswered"].setdefault(str(conversation.last_event_key), {
                    "event_key": str(conversation.last_event_key),
                    "conversation_id": conversation_id, "text": conversation.last_text,
                    "normalised": group_text(conversation.last_text),
                    "intent": conversation.last_intent, "confidence": conversation.last_confidence,
                    "reason": "unanswered",
                    "occurred_at": conversation.last_at or parsed.occurred_at,
                })  # fmt: skip
        # "unanswered" outranks "low confidence": filed after it, it overwrites the reason
        for reason, rows in questions.items():
            if not rows:
                continue
            statement = _insert(session, AnalyticsQuestion.__table__)
            statement = (
                statement.on_conflict_do_update(
                    index_elements=["event_key"], set_={"reason": "unanswered"}
                )
                if reason == "unanswered"
                else statement.on_conflict_do_nothing(index_elements=["event_key"])
            )
            session.execute(statement, list(rows.values()))

    def _after_user(
        self,
        parsed: Parsed,
        conversation: AnalyticsConversation,
        questions: dict[str, dict[str, dict[str, Any]]],
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
            questions["low_confidence"].setdefault(parsed.key, {
                "event_key": parsed.key, "conversation_id": conversation.id, "text": parsed.text,
                "normalised": group_text(parsed.text), "intent": parsed.name,
                "confidence": parsed.confidence, "reason": "low_confidence",
                "occurred_at": parsed.occurred_at,
            })  # fmt: skip


@dataclass
class _Conversations:
    """The stored conversations a batch's events may belong to, by sender and start."""

    by_key: dict[str, int]
    by_sender: dict[str, list[tuple[datetime, int]]]

    @classmethod
    def read(cls, session: Session, senders: set[str], batch: list[Parsed]) -> _Conversations:
        """Read each sender's conversations from the one before the batch's first event on.

        That is every conversation an event of the batch can belong to (the latest one
        started at or before it), and the sessions the batch opened itself.
        """
        first = min(p.occurred_at for p in batch)
        last = max(p.occurred_at for p in batch)
        table = AnalyticsConversation
        earlier = aliased(AnalyticsConversation)
        floor = (
            select(func.max(earlier.started_at))
            .where(earlier.sender == table.sender, earlier.started_at <= first)
            .scalar_subquery()
        )
        found = cls({}, {})
        for chunk in _chunks(sorted(senders)):
            for row in session.execute(
                select(table.id, table.key, table.sender, table.started_at).where(
                    table.sender.in_(chunk),
                    table.started_at <= last,
                    or_(floor.is_(None), table.started_at >= floor),
                )
            ):
                found.add(row.sender, row.key, int(row.id), row.started_at)
        return found

    def add(self, sender: str, key: str, conversation_id: int, started_at: datetime) -> None:
        """Know one more conversation."""
        self.by_key[key] = conversation_id
        insort(self.by_sender.setdefault(sender, []), (started_at, conversation_id))

    def latest(self, sender: str, at: datetime) -> int | None:
        """Return the conversation started last at or before ``at`` (None: none is stored)."""
        started = self.by_sender.get(sender, [])
        index = bisect_right(started, (at, _LAST_ID))
        return started[index - 1][1] if index else None


#: above any row id: ``bisect_right`` then places a start time after every conversation begun then
_LAST_ID = 2**63
#: senders per look-up: an IN list of a whole 5,000-event batch is long for one statement
_CHUNK = 500


def _chunks(rows: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(rows), _CHUNK):
        yield rows[start : start + _CHUNK]


def forget_latest_messages(session: Session, *, before: datetime) -> int:
    """Empty the kept latest message of conversations idle since ``before`` (the purge)."""
    result = session.execute(
        update(AnalyticsConversation)
        .where(AnalyticsConversation.last_at < before, AnalyticsConversation.last_text.is_not(None))
        .values(last_text=None, last_event_key=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
