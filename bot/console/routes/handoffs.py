"""Handed-off chats: the live queue, claiming, talking to the user, handing back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from sqlalchemy.orm import Session

from bot.backend import metrics
from bot.backend.agents.models import Agent
from bot.backend.deps import NowDep, SessionDep, SettingsDep
from bot.backend.handoffs import service
from bot.backend.handoffs.models import Handoff
from bot.backend.handoffs.schemas import HandoffPublic, MessagePublic, RecentLine
from bot.backend.rasa_client import RasaClient
from bot.backend.requests.fields import refuse_control_characters
from bot.console.auth import CallerDep, audit
from bot.console.deps import RasaDep
from bot.console.fields import SLOT_LABELS, TOPIC_LABELS

router = APIRouter(prefix="/handoffs", tags=["console"])
#: The bot's intent when an agent hands the conversation back (domain.yml).
HANDED_BACK_INTENT = "EXTERNAL_handoff_ended"

Reply = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
    AfterValidator(refuse_control_characters),
]


class ReplyIn(BaseModel):
    """What the agent types to the user."""

    model_config = ConfigDict(extra="forbid")

    text: Reply


class Conversation(BaseModel):
    """A handed-off conversation and its messages."""

    handoff: HandoffPublic
    messages: list[MessagePublic]


class Queue(BaseModel):
    """The open conversations the agent may see, and whether people answer now."""

    handoffs: list[HandoffPublic]
    service_open: bool
    hours: str


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    known = {i for i in ids if i is not None}
    return {i: agent.display_name for i in known if (agent := session.get(Agent, i)) is not None}


def public(session: Session, handoff: Handoff, caller_agent: Agent) -> HandoffPublic:
    """Show a handoff to the console."""
    names = _names(session, {handoff.agent_id})
    details = handoff.details or {}
    return HandoffPublic(
        id=handoff.id,
        status=handoff.status,
        team=handoff.team,
        topic=handoff.topic,
        topic_label=TOPIC_LABELS.get(handoff.topic, handoff.topic),
        channel=handoff.channel,
        summary=handoff.summary,
        details={
            SLOT_LABELS.get(key, key): value for key, value in (details.get("fields") or {}).items()
        },
        recent=[RecentLine(**line) for line in details.get("recent") or []],
        agent=names.get(handoff.agent_id) if handoff.agent_id else None,
        mine=handoff.agent_id == caller_agent.id,
        created_at=handoff.created_at,
        claimed_at=handoff.claimed_at,
    )


def conversation(session: Session, handoff: Handoff, agent: Agent) -> Conversation:
    """Show a conversation with its messages."""
    rows = service.messages(session, handoff=handoff)
    names = _names(session, {m.agent_id for m in rows})
    return Conversation(
        handoff=public(session, handoff, agent),
        messages=[
            MessagePublic(
                id=m.id,
                author=m.author,
                agent=names.get(m.agent_id) if m.agent_id else None,
                text=m.text,
                at=m.created_at,
            )
            for m in rows
        ],
    )


@router.get("", response_model=Queue)
def list_queue(caller: CallerDep, session: SessionDep, settings: SettingsDep, now: NowDep) -> Queue:
    """List waiting conversations of the agent's teams and those it holds (polled live)."""
    found = service.availability(session, team="general", now=now, settings=settings)
    return Queue(
        handoffs=[
            public(session, h, caller.agent) for h in service.queue(session, agent=caller.agent)
        ],
        service_open=found.reason != "outside_hours",
        hours=found.hours,
    )


@router.get("/{handoff_id}", response_model=Conversation)
def show(
    handoff_id: int, caller: CallerDep, session: SessionDep, now: NowDep, rasa: RasaDep
) -> Conversation:
    """Show a conversation, first fetching what the user wrote since the last look."""
    handoff = service.get_visible(session, agent=caller.agent, handoff_id=handoff_id)
    if handoff.status != "closed":
        service.store_user_messages(
            session, handoff=handoff, events=rasa.events(handoff.sender_id), now=now
        )
    return conversation(session, handoff, caller.agent)


@router.post("/{handoff_id}/claim", response_model=Conversation)
def claim(
    handoff_id: int, caller: CallerDep, session: SessionDep, now: NowDep, rasa: RasaDep
) -> Conversation:
    """Take a waiting conversation and greet the user on their own channel."""
    handoff = service.get_visible(session, agent=caller.agent, handoff_id=handoff_id)
    handoff = service.claim(session, handoff=handoff, agent=caller.agent, now=now)
    greeting = (
        f"您好，我是人工客服{caller.agent.display_name}，已经看到您前面的对话，请问有什么可以帮您？"
    )
    _say(session, rasa, handoff, greeting, caller.agent, now, author="system")
    metrics.handoff_claimed(handoff.team, handoff.created_at, now)  # committed by _say
    audit(session, caller, action="handoff_claimed", target=f"handoff:{handoff.id}", now=now)
    return conversation(session, handoff, caller.agent)


@router.post("/{handoff_id}/messages", response_model=Conversation)
def reply(
    handoff_id: int,
    body: ReplyIn,
    caller: CallerDep,
    session: SessionDep,
    now: NowDep,
    rasa: RasaDep,
) -> Conversation:
    """Send the agent's message to the user, on the user's own channel."""
    handoff = service.get_visible(session, agent=caller.agent, handoff_id=handoff_id)
    service.require_holder(handoff, caller.agent)
    _say(session, rasa, handoff, body.text, caller.agent, now, author="agent")
    audit(session, caller, action="handoff_replied", target=f"handoff:{handoff.id}", now=now)
    return conversation(session, handoff, caller.agent)


@router.post("/{handoff_id}/release", response_model=Conversation)
def hand_back(
    handoff_id: int,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    rasa: RasaDep,
) -> Conversation:
    """Give the conversation back to the bot, which carries on with what it knew."""
    handoff = service.get_visible(session, agent=caller.agent, handoff_id=handoff_id)
    service.require_holder(handoff, caller.agent)
    service.store_user_messages(
        session, handoff=handoff, events=rasa.events(handoff.sender_id), now=now
    )
    resume_bot(rasa, handoff.sender_id)
    service.add_message(session, handoff=handoff, author="system", text="已交还智能助手", now=now)
    service.close(session, handoff=handoff, now=now)
    audit(session, caller, action="handoff_released", target=f"handoff:{handoff.id}", now=now)
    return conversation(session, handoff, caller.agent)


def resume_bot(rasa: RasaClient, sender_id: str) -> None:
    """Resume the paused conversation, then let the bot speak first on the user's channel."""
    rasa.append(
        sender_id,
        [{"event": "resume"}, {"event": "action", "name": "action_listen"}],
        deliver=False,
    )
    rasa.trigger_intent(sender_id, HANDED_BACK_INTENT)


def _say(
    session: Session,
    rasa: RasaClient,
    handoff: Handoff,
    text: str,
    agent: Agent,
    now: datetime,
    *,
    author: str,
) -> None:
    """Store a message, deliver it as a bot message, and keep it only if it went out."""
    service.add_message(session, handoff=handoff, author=author, text=text, agent=agent, now=now)
    try:
        rasa.append(
            handoff.sender_id,
            [{"event": "bot", "text": text, "metadata": {"handoff_agent": agent.username}}],
            deliver=True,
        )
    except Exception:
        session.rollback()
        raise
    session.commit()
