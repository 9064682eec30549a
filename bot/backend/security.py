"""Who may call the backend API, and for what (scoped credentials).

- ``Authorization: Bearer <BACKEND_API_TOKEN>`` is the action server's
  credential. It opens only what the action server does: reference data,
  consent notices, creating a request, looking one up or cancelling it with
  the owner's proof, and the handoff queue.
- Staff routes (moving a request, reading its audit trail) need a live agent
  session, the console's cookie ``yucai_console`` (and its CSRF token in
  ``X-CSRF-Token`` for changes); the actor is the signed-in agent, never a
  value from the body.

A missing or wrong credential is 401; a valid credential of the other kind
is 403. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.backend.agents import sessions
from bot.backend.agents.models import Agent, AgentSession
from bot.backend.config import Settings
from bot.backend.deps import NowDep, SessionDep
from bot.backend.errors import ForbiddenScopeError, UnauthorizedError

_bearer = HTTPBearer(auto_error=False, description="BACKEND_API_TOKEN (the action server's)")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"

BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def token_matches(presented: str, expected: str) -> bool:
    """Compare tokens in constant time so response timing does not leak the token."""
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def _is_action_token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> bool:
    settings: Settings = request.app.state.settings
    expected = settings.backend_api_token.get_secret_value()
    return credentials is not None and token_matches(credentials.credentials, expected)


def session_times(settings: Settings) -> sessions.SessionTimes:
    """Read how long agent sessions live from the settings."""
    return sessions.SessionTimes(
        idle=timedelta(minutes=settings.console_session_idle_minutes),
        maximum=timedelta(hours=settings.console_session_max_hours),
    )


@dataclass(frozen=True)
class StaffCaller:
    """The agent behind a staff call."""

    agent: Agent

    @property
    def actor(self) -> str:
        """Name the agent in audit trails."""
        return self.agent.actor


async def require_token(request: Request, credentials: BearerDep, session: SessionDep) -> None:
    """Admit the action server's token; an agent session alone is the wrong scope (403).

    A coroutine (no worker thread for the token's check, see ``bot.backend.deps``); the
    agent session is looked up in the database in a worker thread.
    """
    if _is_action_token(request, credentials):
        return
    if credentials is None:
        found = await run_in_threadpool(_agent_session, request, session)
        if found is not None:
            raise ForbiddenScopeError()
    raise UnauthorizedError()


def require_agent_session(
    request: Request, credentials: BearerDep, session: SessionDep, now: NowDep
) -> StaffCaller:
    """Admit a live agent session (with its CSRF token for changes); the action token is 403."""
    found = _agent_session(request, session, now=now)
    if found is None:
        if _is_action_token(request, credentials):
            raise ForbiddenScopeError()
        raise UnauthorizedError()
    row, agent = found
    if request.method not in SAFE_METHODS:
        presented = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(presented.encode(), row.csrf_token.encode()):
            raise ForbiddenScopeError("缺少或无效的 CSRF 令牌。")
    return StaffCaller(agent=agent)


def _agent_session(
    request: Request, session: Session, *, now: datetime | None = None
) -> tuple[AgentSession, Agent] | None:
    token = request.cookies.get(sessions.SESSION_COOKIE)
    if not token:
        return None
    settings: Settings = request.app.state.settings
    when: datetime = now if now is not None else request.app.state.clock()
    return sessions.resolve(session, token=token, now=when, times=session_times(settings))


StaffDep = Annotated[StaffCaller, Depends(require_agent_session)]
