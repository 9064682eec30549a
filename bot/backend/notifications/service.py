"""The outbox: one notification per request and status, claimed and settled by the worker.

A staff status change calls :func:`enqueue` inside its own transaction, so the
update is owed exactly when the change is committed; the unique key
``(request_id, status)`` makes a repeated call return the row already there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.backend.errors import InvalidTransitionError, NotFoundError
from bot.backend.notifications.models import OPEN_STATES, Notification, NotificationOptOut
from bot.backend.requests.models import ServiceRequest

#: channels the worker pushes to through Rasa; the rest go to the agents' callback list
PUSH_CHANNELS = frozenset({"wechat", "socketio"})
#: what staff see per state (console)
STATE_LABELS = {
    "pending": "待发送",
    "sending": "发送中",
    "awaiting_visit": "待用户上线",
    "delivered": "已送达",
    "failed": "发送失败",
    "callback": "待回电告知",
    "called": "已回电",
    "opted_out": "用户已退订",
}


@dataclass(frozen=True)
class Claimed:
    """A notification the worker holds, with what it needs to send it."""

    id: int
    status: str
    channel: str
    sender_id: str
    state_before: str
    created_at: datetime


def opted_out(session: Session, *, channel: str, sender_id: str) -> bool:
    """Tell whether this conversation asked for no more status updates."""
    return session.get(NotificationOptOut, (channel, sender_id)) is not None


def enqueue(
    session: Session, *, request: ServiceRequest, status: str, now: datetime
) -> Notification:
    """Owe the applicant one update about ``status`` (idempotent; the caller commits)."""
    existing = session.scalar(
        select(Notification).where(
            Notification.request_id == request.id, Notification.status == status
        )
    )
    if existing is not None:
        return existing
    if opted_out(session, channel=request.channel, sender_id=request.sender_id):
        state = "opted_out"
    elif request.channel in PUSH_CHANNELS:
        state = "pending"
    else:  # hotline, or a channel that cannot push (REST, the shell): an agent calls back
        state = "callback"
    row = Notification(
        request_id=request.id,
        status=status,
        channel=request.channel,
        state=state,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def opt_out(session: Session, *, channel: str, sender_id: str, now: datetime) -> int:
    """Record "不用通知我" and drop the updates still owed; return how many were dropped."""
    if not opted_out(session, channel=channel, sender_id=sender_id):
        session.add(NotificationOptOut(channel=channel, sender_id=sender_id, created_at=now))
    owned = select(ServiceRequest.id).where(
        ServiceRequest.channel == channel, ServiceRequest.sender_id == sender_id
    )
    result = session.execute(
        update(Notification)
        .where(Notification.request_id.in_(owned), Notification.state.in_(OPEN_STATES))
        .values(state="opted_out")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def claim_due(
    session: Session, *, now: datetime, lease: timedelta, limit: int = 20
) -> list[Claimed]:
    """Take due notifications for this worker with a conditional update each.

    A row another worker holds (``sending``) comes back only when its lease
    ran out, i.e. that worker died mid-send.
    """
    due = session.execute(
        select(Notification.id, Notification.state)
        .where(
            Notification.state.in_((*OPEN_STATES, "sending")),
            Notification.next_attempt_at <= now,
        )
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    ).all()
    claimed: list[Claimed] = []
    for row_id, state in due:
        result = session.execute(
            update(Notification)
            .where(Notification.id == row_id, Notification.state == state)
            .values(state="sending", next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if result.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another worker took it first
        row = session.get(Notification, row_id)
        request = session.get(ServiceRequest, row.request_id) if row else None
        if row is None or request is None:
            continue
        session.refresh(row)
        claimed.append(
            Claimed(
                id=row.id,
                status=row.status,
                channel=row.channel,
                sender_id=request.sender_id,
                state_before=state,
                created_at=row.created_at,
            )
        )
    return claimed


def settle(
    session: Session,
    *,
    notification_id: int,
    state: str,
    now: datetime,
    via: str | None = None,
    error: str | None = None,
    attempts: int = 0,
    retry_at: datetime | None = None,
) -> None:
    """Record the outcome of one delivery round and commit it."""
    row = session.get(Notification, notification_id)
    if row is None:
        return
    row.state = state
    row.attempts += attempts
    if via is not None:
        row.via = via
    row.last_error = error
    if state == "delivered":
        row.delivered_at = now
    row.next_attempt_at = retry_at or now
    session.commit()


def list_for_staff(
    session: Session, *, states: tuple[str, ...], limit: int = 200
) -> list[Notification]:
    """List notifications in the given states, oldest first (the console's lists)."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.state.in_(states))
            .order_by(Notification.created_at, Notification.id)
            .limit(limit)
        )
    )


def handle(
    session: Session, *, notification_id: int, action: str, actor: str, now: datetime
) -> Notification:
    """Let staff queue a failed update again (``retry``) or close a callback (``called``)."""
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFoundError("未找到该通知。")
    allowed = {"retry": ("failed",), "called": ("callback", "failed")}[action]
    if row.state not in allowed:
        raise InvalidTransitionError(f"该通知当前为“{STATE_LABELS[row.state]}”，不能这样处理。")
    if action == "retry":
        row.state, row.next_attempt_at, row.last_error = "pending", now, None
    else:
        row.state, row.delivered_at, row.via = "called", now, "call"
    row.handled_by = actor
    session.commit()
    return row


def get(session: Session, *, notification_id: int) -> Notification:
    """Return one notification or raise NotFoundError."""
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFoundError("未找到该通知。")
    return row
