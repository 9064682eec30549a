"""HTTP endpoints of service requests; the rules live in ``service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from bot.backend.deps import NowDep, SessionDep, SettingsDep
from bot.backend.requests import service
from bot.backend.requests.presenter import event_public, request_public
from bot.backend.requests.schemas import (
    EventPublic,
    RequestCancel,
    RequestCreate,
    RequestLookup,
    RequestPublic,
    StatusUpdate,
)

router = APIRouter(prefix="/requests", tags=["requests"])


IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="客户端为每次提交生成的唯一键（1–128 个可见 ASCII 字符），重试时保持不变",
    ),
]


@router.post(
    "",
    response_model=RequestPublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": RequestPublic, "description": "同一幂等键的重放"}},
)
def create_request(
    payload: RequestCreate,
    idempotency_key: IdempotencyKey,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> RequestPublic:
    """Submit a request; retrying with the same key and body returns the same one."""
    outcome = service.create_request(
        session,
        payload=payload,
        idempotency_key=idempotency_key,
        now=now,
        tz=settings.tz,
    )
    if not outcome.created:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replay"] = "true"
    return request_public(outcome.request, tz=settings.tz)


@router.post("/lookup", response_model=RequestPublic)
def lookup_request(
    body: RequestLookup, session: SessionDep, settings: SettingsDep
) -> RequestPublic:
    """Show a request's status to whoever proves they own it."""
    request = service.lookup_request(session, number=body.number, phone_last4=body.phone_last4)
    return request_public(request, tz=settings.tz)


@router.post("/{number}/cancel", response_model=RequestPublic)
def cancel_request(
    number: str,
    body: RequestCancel,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> RequestPublic:
    """Cancel an open request at its owner's wish."""
    request = service.cancel_request(
        session,
        number=number,
        phone_last4=body.phone_last4,
        reason=body.reason,
        now=now,
    )
    return request_public(request, tz=settings.tz)


@router.post("/{number}/status", response_model=RequestPublic)
def update_status(
    number: str,
    body: StatusUpdate,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> RequestPublic:
    """Move a request along its lifecycle (agents and staff)."""
    request = service.update_status(
        session,
        number=number,
        status=body.status,
        actor=body.actor,
        note=body.note,
        now=now,
    )
    return request_public(request, tz=settings.tz)


@router.get("/{number}/events", response_model=list[EventPublic])
def list_events(number: str, session: SessionDep, settings: SettingsDep) -> list[EventPublic]:
    """List a request's audit trail, oldest first (staff use)."""
    events = service.list_events(session, number=number)
    return [event_public(event, tz=settings.tz) for event in events]
