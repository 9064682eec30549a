"""The retention purge (PIPL art. 19): personal data goes when the notice says it goes.

``python -m bot.backend.cli purge`` (and, in the production profile, the
backend itself once a day) runs ``purge``:

1. **Requests** closed (completed, rejected, cancelled) longer ago than their
   notice's retention period are anonymised: the applicant's name, phone, ID
   number (sealed value, hash and masked form), the sender id, the details and
   the free-text notes of their audit trail go; number, kind, status, times and
   the audit trail's entries stay. Each gets an ``anonymised`` entry by
   ``system``. The audit trail is append-only in the database; the only
   change it allows is exactly this one (``note`` set to NULL, migration 0005).
2. **Handoffs** closed longer ago than ``CONVERSATION_RETENTION_DAYS``: their
   messages are deleted, summary, details and sender id emptied.
3. **Rasa's tracker store** (``TRACKER_STORE_URL``, SQL): conversations idle
   longer than ``CONVERSATION_RETENTION_DAYS`` are deleted; in every other
   conversation without an open request (a form collecting, or a submission
   waiting for 「重试」), phone and ID numbers in any event (the user's raw
   text, entities, slot values) are masked. The tracker store masks them
   itself when a request ends (bot/serving/tracker_store.py); this catches
   conversations stored before it or by a stock store.
4. Counted proof failures older than their window are swept.
5. The analytics keep a conversation's latest message (masked) to file it
   under "unanswered"; it is emptied once the conversation is idle that long.

The run itself is recorded in ``agent_audit`` (``system`` / ``purge``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, delete, inspect, select, text, update
from sqlalchemy.orm import Session

from bot.backend.agents.models import AgentAudit
from bot.backend.analytics.ingest import forget_latest_messages
from bot.backend.consent.models import ConsentNotice, ConsentRecord
from bot.backend.consent.notices import retention_days
from bot.backend.db import normalise_database_url
from bot.backend.guessing import service as guessing
from bot.backend.handoffs.models import Handoff, HandoffMessage
from bot.backend.requests.models import RequestEvent, ServiceRequest
from bot.common.tracker_pii import TEXT_EVENTS, holds_raw_details_in, mask_event

logger = logging.getLogger(__name__)

CLOSED = ("completed", "rejected", "cancelled")
REMOVED = "（已删除）"
ANONYMOUS = "anonymised"


@dataclass
class PurgeReport:
    """What one purge changed, for the operator and the audit log."""

    requests: int = 0
    audit_notes: int = 0
    handoffs: int = 0
    handoff_messages: int = 0
    tracker_conversations: int = 0
    tracker_events_masked: int = 0
    proof_failures: int = 0
    #: the latest message the analytics kept per conversation (masked), emptied when idle
    analytics_messages: int = 0

    def summary(self) -> str:
        """One line: every count by name."""
        return ", ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))


def purge(
    session: Session,
    *,
    now: datetime,
    conversation_days: int,
    tracker_store_url: str | None = None,
) -> PurgeReport:
    """Run every step of the purge and record it; each step commits on its own."""
    report = PurgeReport()
    _purge_requests(session, now=now, report=report)
    _purge_handoffs(session, now=now, before=now - timedelta(days=conversation_days), report=report)
    report.proof_failures = guessing.sweep(session, now=now)
    report.analytics_messages = forget_latest_messages(
        session, before=now - timedelta(days=conversation_days)
    )
    session.commit()
    if tracker_store_url:
        _purge_tracker(
            tracker_store_url, before=now - timedelta(days=conversation_days), report=report
        )
    session.add(
        AgentAudit(
            agent_id=None,
            username="system",
            action="purge",
            target=None,
            detail=report.summary(),
            created_at=now,
        )
    )
    session.commit()
    logger.info("purge: %s", report.summary())
    return report


def _purge_requests(session: Session, *, now: datetime, report: PurgeReport) -> None:
    rows = session.execute(
        select(ServiceRequest, ConsentNotice.version)
        .join(ConsentRecord, ConsentRecord.request_id == ServiceRequest.id)
        .join(ConsentNotice, ConsentNotice.id == ConsentRecord.notice_id)
        .where(ServiceRequest.status.in_(CLOSED), ServiceRequest.anonymised_at.is_(None))
    ).all()
    for request, version in rows:
        days = retention_days(version)
        if now < request.updated_at + timedelta(days=days):
            continue
        _anonymise_request(session, request=request, days=days, now=now, report=report)
        session.commit()


def _anonymise_request(
    session: Session, *, request: ServiceRequest, days: int, now: datetime, report: PurgeReport
) -> None:
    request.applicant_name = REMOVED
    request.applicant_phone = ""
    request.applicant_id_number = None
    request.applicant_id_sealed = None
    request.applicant_id_hash = None
    request.applicant_id_masked = None
    request.sender_id = ANONYMOUS
    request.details = {}
    request.anonymised_at = now
    emptied = session.execute(
        update(RequestEvent)
        .where(RequestEvent.request_id == request.id, RequestEvent.note.is_not(None))
        .values(note=None)
        .execution_options(synchronize_session=False)
    )
    report.audit_notes += int(emptied.rowcount or 0)  # type: ignore[attr-defined]
    session.execute(
        update(ConsentRecord)
        .where(ConsentRecord.request_id == request.id)
        .values(sender_id=ANONYMOUS)
        .execution_options(synchronize_session=False)
    )
    session.add(
        RequestEvent(
            request_id=request.id,
            actor="system",
            action="anonymised",
            from_status=request.status,
            to_status=request.status,
            note=f"个人信息已按告知书约定的保存期限（{days} 天）删除",
            created_at=now,
        )
    )
    report.requests += 1


def _purge_handoffs(
    session: Session, *, now: datetime, before: datetime, report: PurgeReport
) -> None:
    idle = list(
        session.scalars(
            select(Handoff).where(
                Handoff.status == "closed",
                Handoff.closed_at < before,
                Handoff.sender_id != ANONYMOUS,
            )
        )
    )
    for handoff in idle:
        removed = session.execute(
            delete(HandoffMessage).where(HandoffMessage.handoff_id == handoff.id)
        )
        report.handoff_messages += int(removed.rowcount or 0)  # type: ignore[attr-defined]
        handoff.summary = REMOVED
        handoff.details = {}
        handoff.sender_id = ANONYMOUS
        report.handoffs += 1
    session.commit()


def _purge_tracker(url: str, *, before: datetime, report: PurgeReport) -> None:
    """Delete idle conversations and mask numbers in conversations without an active form."""
    engine = create_engine(normalise_database_url(url))
    try:
        with engine.begin() as connection:
            tables = set(inspect(connection).get_table_names())
            if "events" not in tables:
                return
            idle = (
                connection.execute(
                    text(
                        "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :t"
                    ),
                    {"t": before.timestamp()},
                )
                .scalars()
                .all()
            )
            for sender in idle:
                connection.execute(text("DELETE FROM events WHERE sender_id = :s"), {"s": sender})
            report.tracker_conversations = len(idle)
            senders = connection.execute(text("SELECT DISTINCT sender_id FROM events")).scalars()
            for sender in list(senders):
                report.tracker_events_masked += _mask_conversation(connection, sender)
    finally:
        engine.dispose()


def _mask_conversation(connection: Any, sender: str) -> int:
    """Mask phone and ID numbers in one conversation's events, unless its request is open.

    Open: a form is collecting, or a submission waits for 「重试」 with the kept
    details (bot/common/tracker_pii.py, the same rule as the Rasa tracker store's).
    """
    state = connection.execute(
        text(
            "SELECT data FROM events WHERE sender_id = :s AND type_name IN "
            "('active_loop', 'slot', 'restart', 'reset_slots', 'session_started') ORDER BY id"
        ),
        {"s": sender},
    ).scalars()
    if holds_raw_details_in(json.loads(data) for data in state):
        return 0  # the form, or its retry, still needs the raw values
    masked = 0
    kinds = ", ".join(f"'{kind}'" for kind in TEXT_EVENTS)  # constants, not input
    rows = connection.execute(
        text(f"SELECT id, data FROM events WHERE sender_id = :s AND type_name IN ({kinds})"),
        {"s": sender},
    ).all()
    for row_id, data in rows:
        event = json.loads(data)
        clean = mask_event(event)
        if clean != event:
            connection.execute(
                text("UPDATE events SET data = :d WHERE id = :i"),
                {"d": json.dumps(clean), "i": row_id},
            )
            masked += 1
    return masked
