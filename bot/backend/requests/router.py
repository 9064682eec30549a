"""HTTP endpoints of service requests; the rules live in ``service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response, status
from starlette.concurrency import run_in_threadpool

from bot.backend.deps import NowDep, SessionDep, SettingsDep
from bot.backend.errors import ForbiddenScopeError
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
from bot.backend.security import StaffDep, require_token

#: What the action server may do (BACKEND_API_TOKEN): create, and look up or cancel with proof.
router = APIRouter(prefix="/requests", tags=["requests"], dependencies=[Depends(require_token)])
#: What only a signed-in agent may do; the actor is the agent, never a value from the body.
staff_router = APIRouter(prefix="/requests", tags=["requests (staff)"])


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
async def create_request(
    payload: RequestCreate,
    idempotency_key: IdempotencyKey,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> RequestPublic:
    """Submit a request; retrying with the same key and body returns the same one.

    A coroutine that hands its database work (and the masked answer built from the
    rows) to one worker thread: FastAPI then checks the answer against the response
    model on its event loop, where a plain endpoint's check takes a second hop to a
    worker thread (docs/performance.md, row 41). Every submission turn waits for this.
    """

    def create() -> tuple[bool, RequestPublic]:
        outcome = service.create_request(
            session,
            payload=payload,
            idempotency_key=idempotency_key,
            now=now,
            tz=settings.tz,
            numbers=settings.request_numbers,
            vault=settings.id_vault,
        )
        return outcome.created, request_public(outcome.request, tz=settings.tz)

    created, public = await run_in_threadpool(create)
    if not created:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replay"] = "true"
    return public


@router.post("/lookup", response_model=RequestPublic)
def lookup_request(
    body: RequestLookup, session: SessionDep, settings: SettingsDep, now: NowDep
) -> RequestPublic:
    """Show a request's status to whoever proves they own it (429 while guessing is locked)."""
    request = service.lookup_request(
        session,
        number=body.number,
        phone_last4=body.phone_last4,
        now=now,
        channel=body.channel,
        sender_id=body.sender_id,
    )
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
        channel=body.channel,
        sender_id=body.sender_id,
    )
    return request_public(request, tz=settings.tz)


@staff_router.post("/{number}/status", response_model=RequestPublic)
def update_status(
    number: str,
    body: StatusUpdate,
    caller: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> RequestPublic:
    """Move a request along its lifecycle (a signed-in agent; the actor is that agent)."""
    if body.actor is not None and body.actor != caller.actor:
        raise ForbiddenScopeError("操作人取自坐席会话，不能代他人操作。")
    request = service.update_status(
        session,
        number=number,
        status=body.status,
        actor=caller.actor,
        note=body.note,
        now=now,
    )
    return request_public(request, tz=settings.tz)


@staff_router.get("/{number}/events", response_model=list[EventPublic])
def list_events(
    number: str, _caller: StaffDep, session: SessionDep, settings: SettingsDep
) -> list[EventPublic]:
    """List a request's audit trail, oldest first (a signed-in agent)."""
    events = service.list_events(session, number=number)
    return [event_public(event, tz=settings.tz) for event in events]
