"""The bot's side of the handoff (``/api/v1/handoffs``, backend token): ask, then queue."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from bot.backend.deps import NowDep, SessionDep, SettingsDep
from bot.backend.handoffs import service
from bot.backend.handoffs.schemas import AvailabilityPublic, HandoffCreate, HandoffQueued
from bot.common.catalogue import team_of_topic

router = APIRouter(prefix="/handoffs", tags=["handoff"])


@router.get("/availability", response_model=AvailabilityPublic)
def get_availability(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    topic: str = "general_service",
    channel: str | None = None,
) -> AvailabilityPublic:
    """Tell the bot whether to offer a person now, or a callback and the service hours."""
    team = team_of_topic(topic)
    found = service.availability(session, team=team, now=now, settings=settings, channel=channel)
    return AvailabilityPublic(
        available=found.available,
        reason=found.reason,  # type: ignore[arg-type]
        hours=found.hours,
        team=team,
        next_open=found.next_open,
        next_open_text=found.next_open_text,
    )


@router.post(
    "",
    response_model=HandoffQueued,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": HandoffQueued, "description": "已在排队或人工服务中"}},
)
def create_handoff(
    body: HandoffCreate, response: Response, session: SessionDep, settings: SettingsDep, now: NowDep
) -> HandoffQueued:
    """Queue the conversation for a person (409 ``handoff_unavailable`` if nobody can take it)."""
    details = {**body.details}
    handoff, created = service.create_handoff(
        session,
        sender_id=body.sender_id,
        channel=body.channel,
        topic=body.topic,
        summary=body.summary,
        details={"fields": details, "recent": [line.model_dump() for line in body.recent]},
        now=now,
        settings=settings,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return HandoffQueued(
        id=handoff.id,
        status=handoff.status,
        position=service.position(session, handoff),
        created=created,
    )
