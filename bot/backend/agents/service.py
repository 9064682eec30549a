"""Hotline agents' accounts: creating them, passwords, disabling, who is online."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.backend.agents.audit import record
from bot.backend.agents.models import ROLES, TEAMS, Agent
from bot.backend.agents.passwords import WeakPasswordError, check_strength, hash_password
from bot.backend.agents.sessions import end_sessions
from bot.backend.errors import ConflictError, ValidationFailedError

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")


def _check_teams(teams: Iterable[str]) -> list[str]:
    chosen = sorted(set(teams))
    unknown = [team for team in chosen if team not in TEAMS]
    if unknown or not chosen:
        raise ValidationFailedError(f"小组应为 {', '.join(TEAMS)} 中的一个或多个")
    return chosen


def create_agent(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    role: str,
    teams: Iterable[str],
    now: datetime,
) -> Agent:
    """Create an account; the password is stored only as a scrypt hash."""
    if not USERNAME.fullmatch(username):
        raise ValidationFailedError("用户名应为 2–32 位小写字母、数字、点、下划线或连字符")
    if role not in ROLES:
        raise ValidationFailedError("角色应为 agent 或 supervisor")
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 30:
        raise ValidationFailedError("显示名称应为 1–30 个字符")
    try:
        check_strength(password)
    except WeakPasswordError as exc:
        raise ValidationFailedError(str(exc)) from exc
    agent = Agent(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        teams=_check_teams(teams),
        active=True,
        failed_logins=0,
        created_at=now,
        updated_at=now,
    )
    session.add(agent)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(f"用户名 {username} 已存在") from exc
    record(
        session,
        agent=agent,
        action="account_created",
        detail=f"{role} {','.join(agent.teams)}",
        now=now,
    )
    session.commit()
    return agent


def set_password(session: Session, *, username: str, password: str, now: datetime) -> Agent:
    """Replace a password and end every open session of that agent."""
    agent = get_agent(session, username=username)
    try:
        check_strength(password)
    except WeakPasswordError as exc:
        raise ValidationFailedError(str(exc)) from exc
    agent.password_hash = hash_password(password)
    agent.failed_logins = 0
    agent.locked_until = None
    agent.updated_at = now
    end_sessions(session, agent_id=agent.id, now=now)
    record(session, agent=agent, action="password_changed", now=now)
    session.commit()
    return agent


def set_active(session: Session, *, username: str, active: bool, now: datetime) -> Agent:
    """Disable or re-enable an account; disabling ends its sessions at once."""
    agent = get_agent(session, username=username)
    agent.active = active
    agent.updated_at = now
    if not active:
        end_sessions(session, agent_id=agent.id, now=now)
    record(
        session, agent=agent, action="account_enabled" if active else "account_disabled", now=now
    )
    session.commit()
    return agent


def get_agent(session: Session, *, username: str) -> Agent:
    """Find an account by username."""
    agent = session.scalar(select(Agent).where(Agent.username == username))
    if agent is None:
        raise ValidationFailedError(f"没有用户名为 {username} 的坐席")
    return agent


def list_agents(session: Session) -> list[Agent]:
    """List every account, by username."""
    return list(session.scalars(select(Agent).order_by(Agent.username)))


def online_agents(session: Session, *, since: datetime) -> list[Agent]:
    """List active agents whose console was seen since ``since``."""
    return list(
        session.scalars(select(Agent).where(Agent.active.is_(True), Agent.last_seen_at >= since))
    )
