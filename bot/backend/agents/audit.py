"""The agents' append-only audit log (the database refuses updates and deletes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.backend.agents.models import Agent, AgentAudit


def record(
    session: Session,
    *,
    agent: Agent,
    action: str,
    now: datetime,
    target: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one entry to the agents' audit log (committed with the caller's work)."""
    session.add(
        AgentAudit(
            agent_id=agent.id,
            username=agent.username,
            action=action,
            target=target,
            detail=detail,
            created_at=now,
        )
    )
