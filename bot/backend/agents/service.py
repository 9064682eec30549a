"""Creating agents, signing them in and out, and recording what they do."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.backend.agents.models import ROLES, TEAMS, Agent, AgentAudit, AgentSession
from bot.backend.agents.passwords import (
    DUMMY_HASH,
    WeakPasswordError,
    check_strength,
    hash_password,
    verify_password,
)
from bot.backend.errors import ConflictError, ValidationFailedError

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
#: After this many wrong passwords in a row the account waits ``LOCKOUT``.
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class SessionTimes:
    """How long a console session may sit idle, and live at most."""

    idle: timedelta
    maximum: timedelta


@dataclass(frozen=True)
class NewSession:
    """A session just started: the cookie value is only ever known here."""

    token: str
    csrf_token: str
    agent: Agent


def token_hash(token: str) -> str:
    """Store sessions by hash, so a database leak does not hand out sign-ins."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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
    _end_sessions(session, agent_id=agent.id, now=now)
    record(session, agent=agent, action="password_changed", now=now)
    session.commit()
    return agent


def set_active(session: Session, *, username: str, active: bool, now: datetime) -> Agent:
    """Disable or re-enable an account; disabling ends its sessions at once."""
    agent = get_agent(session, username=username)
    agent.active = active
    agent.updated_at = now
    if not active:
        _end_sessions(session, agent_id=agent.id, now=now)
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


def sign_in(
    session: Session, *, username: str, password: str, now: datetime, times: SessionTimes
) -> NewSession | None:
    """Start a session for the right password; None (and a log entry) otherwise."""
    agent = session.scalar(select(Agent).where(Agent.username == username.strip().lower()))
    if agent is None:
        verify_password(password, DUMMY_HASH)  # same work as for a real account
        return None
    locked = agent.locked_until is not None and agent.locked_until > now
    if not verify_password(password, agent.password_hash) or locked or not agent.active:
        if not locked:
            agent.failed_logins += 1
            if agent.failed_logins >= MAX_FAILED_LOGINS:
                agent.locked_until = now + LOCKOUT
                agent.failed_logins = 0
        record(session, agent=agent, action="sign_in_refused", now=now)
        session.commit()
        return None
    agent.failed_logins = 0
    agent.locked_until = None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        AgentSession(
            token_hash=token_hash(token),
            agent_id=agent.id,
            csrf_token=csrf,
            created_at=now,
            last_used_at=now,
            expires_at=now + times.maximum,
        )
    )
    agent.last_seen_at = now
    record(session, agent=agent, action="signed_in", now=now)
    session.commit()
    return NewSession(token=token, csrf_token=csrf, agent=agent)


def resolve(
    session: Session, *, token: str, now: datetime, times: SessionTimes
) -> tuple[AgentSession, Agent] | None:
    """Return the live session and agent for a cookie, refreshing its idle timer."""
    row = session.scalar(select(AgentSession).where(AgentSession.token_hash == token_hash(token)))
    if row is None or row.ended_at is not None:
        return None
    agent = session.get(Agent, row.agent_id)
    expired = now >= row.expires_at or now - row.last_used_at >= times.idle
    if agent is None or not agent.active or expired:
        if row.ended_at is None:
            row.ended_at = now
            session.commit()
        return None
    row.last_used_at = now
    agent.last_seen_at = now
    session.commit()
    return row, agent


def sign_out(session: Session, *, row: AgentSession, agent: Agent, now: datetime) -> None:
    """End one session."""
    row.ended_at = now
    agent.last_seen_at = None
    record(session, agent=agent, action="signed_out", now=now)
    session.commit()


def online_agents(session: Session, *, since: datetime) -> list[Agent]:
    """List active agents whose console was seen since ``since``."""
    return list(
        session.scalars(select(Agent).where(Agent.active.is_(True), Agent.last_seen_at >= since))
    )


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


def _end_sessions(session: Session, *, agent_id: int, now: datetime) -> None:
    session.execute(
        update(AgentSession)
        .where(AgentSession.agent_id == agent_id, AgentSession.ended_at.is_(None))
        .values(ended_at=now)
    )
