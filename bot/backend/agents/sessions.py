"""Console sessions: signing agents in (with lockout) and out, and checking a cookie."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.backend.agents.audit import record
from bot.backend.agents.models import Agent, AgentSession
from bot.backend.agents.passwords import DUMMY_HASH, verify_password

#: The cookie that carries an agent's session (set by the console at sign-in).
SESSION_COOKIE = "yucai_console"
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
            _count_failure(session, agent=agent, now=now)
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


def end_sessions(session: Session, *, agent_id: int, now: datetime) -> None:
    """End every open session of an agent (new password, account disabled)."""
    session.execute(
        update(AgentSession)
        .where(AgentSession.agent_id == agent_id, AgentSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def _count_failure(session: Session, *, agent: Agent, now: datetime) -> None:
    """Count a wrong password in the database itself, so parallel guesses cannot share a read.

    The increment is one ``UPDATE … SET failed_logins = failed_logins + 1``
    (each guess's row lock or SQLite's write lock orders them); whichever
    guess reaches the limit starts the lockout.
    """
    failures = session.execute(
        update(Agent)
        .where(Agent.id == agent.id)
        .values(failed_logins=Agent.failed_logins + 1)
        .returning(Agent.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    if failures >= MAX_FAILED_LOGINS:
        session.execute(
            update(Agent)
            .where(Agent.id == agent.id)
            .values(locked_until=now + LOCKOUT, failed_logins=0)
            .execution_options(synchronize_session=False)
        )
    session.expire(agent, ["failed_logins", "locked_until"])
