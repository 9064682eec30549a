"""Status updates staff must act on: pushes that failed, and hotline callers to call back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.orm import Session

from bot.backend.deps import NowDep, SessionDep
from bot.backend.errors import NotFoundError
from bot.backend.notifications import service
from bot.backend.notifications.models import Notification
from bot.backend.requests.lifecycle import STATUS_LABELS
from bot.backend.requests.models import ServiceRequest
from bot.common.catalogue import KINDS
from bot.console import requests_scope
from bot.console.auth import Caller, CallerDep, audit

router = APIRouter(prefix="/notifications", tags=["console"])
#: the two lists: ``failed`` (pushes that kept failing), ``callback`` (tell them by phone)
LISTS: dict[str, tuple[str, ...]] = {"failed": ("failed",), "callback": ("callback",)}
CHANNEL_LABELS = {
    "wechat": "微信",
    "socketio": "网页",
    "hotline": "热线",
    "rest": "接口",
    "cli": "命令行",
}


class NotificationPublic(BaseModel):
    """One status update as staff see it."""

    id: int
    number: str
    kind_label: str
    channel_label: str
    status_label: str
    state: str
    state_label: str
    attempts: int
    last_error: str | None
    created_at: datetime


def _public(row: Notification, request: ServiceRequest) -> NotificationPublic:
    kind = KINDS.get(request.kind)
    return NotificationPublic(
        id=row.id,
        number=request.number,
        kind_label=kind.title if kind else request.kind,
        channel_label=CHANNEL_LABELS.get(row.channel, row.channel),
        status_label=STATUS_LABELS.get(row.status, row.status),
        state=row.state,
        state_label=service.STATE_LABELS[row.state],
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
    )


def _in_scope(session: Session, caller: Caller, row: Notification) -> ServiceRequest:
    request = session.get(ServiceRequest, row.request_id)
    if request is None or not requests_scope.visible(session, caller, [request]):
        raise NotFoundError("未找到该通知。")
    return request


@router.get("", response_model=list[NotificationPublic])
def list_notifications(
    caller: CallerDep, session: SessionDep, which: Literal["failed", "callback"] = "failed"
) -> list[NotificationPublic]:
    """List the failed pushes or the callbacks owed, within the agent's scope."""
    rows = service.list_for_staff(session, states=LISTS[which])
    requests = {
        r.id: r
        for r in session.query(ServiceRequest).filter(
            ServiceRequest.id.in_({row.request_id for row in rows})
        )
    }
    shown = {r.id for r in requests_scope.visible(session, caller, list(requests.values()))}
    return [_public(row, requests[row.request_id]) for row in rows if row.request_id in shown]


@router.post("/{notification_id}/{action}", response_model=NotificationPublic)
def handle_notification(
    notification_id: int,
    action: Literal["retry", "called"],
    caller: CallerDep,
    session: SessionDep,
    now: NowDep,
) -> NotificationPublic:
    """Queue a failed push again, or record that the applicant was told by phone."""
    request = _in_scope(session, caller, service.get(session, notification_id=notification_id))
    row = service.handle(
        session, notification_id=notification_id, action=action, actor=caller.actor, now=now
    )
    audit(session, caller, action=f"notification_{action}", target=request.number, now=now)
    return _public(row, request)
