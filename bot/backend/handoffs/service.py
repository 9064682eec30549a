"""The handoff queue: who may take a conversation, claiming it, its messages, closing it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.backend import metrics
from bot.backend.agents.models import Agent
from bot.backend.agents.service import online_agents
from bot.backend.config import Settings
from bot.backend.errors import ConflictError, NotFoundError
from bot.backend.handoffs.hours import (
    describe,
    describe_moment,
    is_open,
    next_opening,
    parse_service_hours,
)
from bot.backend.handoffs.models import Handoff, HandoffMessage
from bot.common.catalogue import team_of_topic

OPEN = ("waiting", "active")


class HandoffUnavailableError(ConflictError):
    """Nobody can take the conversation now (out of hours, or no agent online)."""

    code = "handoff_unavailable"
    default_message = "目前没有人工客服可以接入。"


@dataclass(frozen=True)
class Availability:
    """Whether a person can take a conversation of a team now, and if not, why."""

    available: bool
    reason: str | None
    hours: str
    #: when people next answer (local time; ``now`` while open), None if not within a month
    next_open: datetime | None = None
    #: ``next_open`` for users (``明天（周五）9:00``), empty while open or unknown
    next_open_text: str = ""


def availability(
    session: Session, *, team: str, now: datetime, settings: Settings, channel: str | None = None
) -> Availability:
    """A channel that can carry replies, open hours and an online agent of the team."""
    windows = parse_service_hours(settings.service_hours)
    hours = describe(windows)
    local = now.astimezone(ZoneInfo(settings.timezone))
    opening = next_opening(windows, local)
    later = describe_moment(opening, local) if opening is not None and opening > local else ""
    pushing = {c.strip() for c in settings.handoff_channels.split(",") if c.strip()}
    if channel is not None and channel not in pushing:
        return Availability(False, "channel", hours, opening, later)
    if not is_open(windows, local):
        return Availability(False, "outside_hours", hours, opening, later)
    since = now - timedelta(seconds=settings.agent_online_seconds)
    for agent in online_agents(session, since=since):
        if agent.role == "supervisor" or team in agent.teams:
            return Availability(True, None, hours, opening, later)
    return Availability(False, "no_agent", hours, opening, later)


def open_handoff(session: Session, *, sender_id: str) -> Handoff | None:
    """Return the conversation's handoff still waiting or held, if any."""
    return session.scalar(
        select(Handoff).where(Handoff.sender_id == sender_id, Handoff.status.in_(OPEN))
    )


def create_handoff(
    session: Session,
    *,
    sender_id: str,
    channel: str,
    topic: str,
    summary: str,
    details: dict[str, Any],
    now: datetime,
    settings: Settings,
) -> tuple[Handoff, bool]:
    """Queue a conversation once; asking again while it is open returns the same handoff."""
    existing = open_handoff(session, sender_id=sender_id)
    if existing is not None:
        return existing, False
    team = team_of_topic(topic)
    found = availability(session, team=team, now=now, settings=settings, channel=channel)
    if not found.available:
        raise HandoffUnavailableError(fields={"reason": found.reason or "", "hours": found.hours})
    handoff = Handoff(
        sender_id=sender_id,
        channel=channel,
        team=team,
        topic=topic,
        summary=summary,
        details=details,
        status="waiting",
        tracker_offset=0,
        created_at=now,
    )
    session.add(handoff)
    session.commit()
    metrics.handoff_queued(team, channel)
    return handoff, True


def position(session: Session, handoff: Handoff) -> int:
    """Count the conversations of the same team waiting before this one, plus itself."""
    ahead = session.scalar(
        select(func.count())
        .select_from(Handoff)
        .where(
            Handoff.status == "waiting",
            Handoff.team == handoff.team,
            Handoff.id < handoff.id,
        )
    )
    return int(ahead or 0) + 1


def queue(session: Session, *, agent: Agent) -> list[Handoff]:
    """List open conversations the agent may see: its teams' queue and what it holds."""
    rows = session.scalars(
        select(Handoff).where(Handoff.status.in_(OPEN)).order_by(Handoff.created_at, Handoff.id)
    )
    return [h for h in rows if may_see(agent, h)]


def may_see(agent: Agent, handoff: Handoff) -> bool:
    """Supervisors see everything; agents their teams' queue and their own conversations."""
    if agent.role == "supervisor" or handoff.agent_id == agent.id:
        return True
    return handoff.status == "waiting" and handoff.team in agent.teams


def get_visible(session: Session, *, agent: Agent, handoff_id: int) -> Handoff:
    """Find a handoff the agent may see; others look exactly like missing ones."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None or not may_see(agent, handoff):
        raise NotFoundError("未找到该会话，可能已被其他坐席接入或已结束。")
    return handoff


def claim(session: Session, *, handoff: Handoff, agent: Agent, now: datetime) -> Handoff:
    """Take a waiting conversation; of two agents claiming at once, one wins."""
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff.id, Handoff.status == "waiting")
        .values(status="active", agent_id=agent.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise ConflictError("该会话已被其他坐席接入或已结束。")
    session.refresh(handoff)
    return handoff


def require_holder(handoff: Handoff, agent: Agent) -> None:
    """Only the agent holding a conversation (or a supervisor) may speak in or release it."""
    if handoff.status != "active":
        raise ConflictError("该会话当前不在人工服务中。")
    if handoff.agent_id != agent.id and agent.role != "supervisor":
        raise ConflictError("该会话由其他坐席负责。")


def add_message(
    session: Session,
    *,
    handoff: Handoff,
    author: str,
    text: str,
    now: datetime,
    agent: Agent | None = None,
) -> HandoffMessage:
    """Store one message (flushed, committed by the caller once it was delivered)."""
    message = HandoffMessage(
        handoff_id=handoff.id,
        author=author,
        agent_id=agent.id if agent else None,
        text=text,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def user_messages_since_pause(
    events: Sequence[dict[str, Any]], offset: int
) -> tuple[list[tuple[int, str, float | None]], int]:
    """Pick the user's typed messages after the conversation was paused for a person.

    Returns ``(index, text, timestamp)`` and the new offset. Before the pause shows
    in the tracker nothing is taken, so nothing said to the bot leaks in.
    """
    start = offset
    if offset == 0:
        pauses = [i for i, event in enumerate(events) if event.get("event") == "pause"]
        if not pauses:
            return [], 0
        start = pauses[-1] + 1
    found = []
    for index in range(start, len(events)):
        event = events[index]
        text = event.get("text")
        external = (event.get("metadata") or {}).get("is_external")
        if event.get("event") == "user" and isinstance(text, str) and text and not external:
            stamp = event.get("timestamp")
            found.append((index, text, float(stamp) if isinstance(stamp, int | float) else None))
    return found, len(events)


def store_user_messages(
    session: Session, *, handoff: Handoff, events: Sequence[dict[str, Any]], now: datetime
) -> int:
    """Save the user's new messages once each, even when two consoles sync at once."""
    found, offset = user_messages_since_pause(events, handoff.tracker_offset)
    for index, text, stamp in found:
        said_at = datetime.fromtimestamp(stamp, timezone.utc) if stamp is not None else now
        session.add(
            HandoffMessage(
                handoff_id=handoff.id,
                author="user",
                text=text[:2000],
                tracker_index=index,
                created_at=min(said_at, now),
            )
        )
    handoff.tracker_offset = offset
    try:
        session.commit()
    except IntegrityError:  # another console stored them first
        session.rollback()
        return 0
    return len(found)


def messages(session: Session, *, handoff: Handoff) -> list[HandoffMessage]:
    """List a conversation's messages, oldest first."""
    return list(
        session.scalars(
            select(HandoffMessage)
            .where(HandoffMessage.handoff_id == handoff.id)
            .order_by(HandoffMessage.created_at, HandoffMessage.id)
        )
    )


def take_for_timeout(session: Session, *, handoff_id: int, now: datetime) -> bool:
    """Close a still-waiting handoff, uncommitted; False if someone else got there first.

    The caller commits once the user has been told, or rolls back; until then
    the row stays locked, so a claim racing this one waits and then loses.
    """
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == "waiting")
        .values(status="closed", closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return False
    return True


def close(session: Session, *, handoff: Handoff, now: datetime) -> Handoff:
    """Mark the conversation as back with the bot."""
    handoff.status = "closed"
    handoff.closed_at = now
    session.commit()
    return handoff
