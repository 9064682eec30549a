"""The action server's route: a conversation asks for no more status updates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, StringConstraints

from bot.backend.deps import NowDep, SessionDep
from bot.backend.notifications import service
from bot.backend.requests.lifecycle import Channel

router = APIRouter(prefix="/notifications", tags=["notifications"])


class OptOut(BaseModel):
    """Whose conversation said "不用通知我"."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    sender_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class OptedOut(BaseModel):
    """The preference is stored; ``dropped`` updates that were still owed are not sent."""

    opted_out: bool
    dropped: int


@router.post("/opt-out", response_model=OptedOut)
def opt_out(body: OptOut, session: SessionDep, now: NowDep) -> OptedOut:
    """Stop pushing status updates to this conversation (idempotent)."""
    dropped = service.opt_out(session, channel=body.channel, sender_id=body.sender_id, now=now)
    return OptedOut(opted_out=True, dropped=dropped)
