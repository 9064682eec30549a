"""Who is calling the console: the session cookie, its CSRF token and the agent's scope."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from bot.backend.agents import audit as agent_audit
from bot.backend.agents import sessions
from bot.backend.agents.models import Agent, AgentSession
from bot.backend.config import Settings
from bot.backend.deps import NowDep, SessionDep, SettingsDep
from bot.backend.errors import ApiError, UnauthorizedError

COOKIE_NAME = sessions.SESSION_COOKIE
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInRequiredError(UnauthorizedError):
    """No live console session: never signed in, signed out, or expired."""

    code = "sign_in_required"
    default_message = "请先登录坐席工作台（登录可能已超时）。"


class ForbiddenError(ApiError):
    """The request did not come from the console page itself (CSRF)."""

    status_code = 403
    code = "forbidden"
    default_message = "请求来源无法验证，请刷新页面后重试。"


def session_times(settings: Settings) -> sessions.SessionTimes:
    """Read how long sessions live from the settings."""
    return sessions.SessionTimes(
        idle=timedelta(minutes=settings.console_session_idle_minutes),
        maximum=timedelta(hours=settings.console_session_max_hours),
    )


@dataclass(frozen=True)
class Caller:
    """The signed-in agent behind a console request."""

    agent: Agent
    session: AgentSession

    @property
    def actor(self) -> str:
        """Name the agent in audit trails."""
        return self.agent.actor

    @property
    def is_supervisor(self) -> bool:
        """Supervisors see every team's work."""
        return self.agent.role == "supervisor"

    def covers(self, team: str) -> bool:
        """Tell whether a team's work is in this agent's scope."""
        return self.is_supervisor or team in self.agent.teams


def same_origin(request: Request) -> bool:
    """Refuse cross-site requests: an Origin (or Referer), when sent, must be this host."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True
    parts = urlsplit(origin)
    return parts.netloc == request.headers.get("host", "") and parts.scheme in {"http", "https"}


def current_caller(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Caller:
    """Require a live session; unsafe methods also need its CSRF token."""
    token = request.cookies.get(COOKIE_NAME)
    found = (
        sessions.resolve(session, token=token, now=now, times=session_times(settings))
        if token
        else None
    )
    if found is None:
        raise SignInRequiredError()
    row, agent = found
    if request.method not in SAFE_METHODS:
        presented = request.headers.get(CSRF_HEADER, "")
        valid = hmac.compare_digest(presented.encode(), row.csrf_token.encode())
        if not valid or not same_origin(request):
            raise ForbiddenError()
    return Caller(agent=agent, session=row)


def optional_caller(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Caller | None:
    """Return the signed-in agent, or None (for pages that redirect to sign-in)."""
    try:
        return current_caller(request, session, settings, now)
    except SignInRequiredError:
        return None


CallerDep = Annotated[Caller, Depends(current_caller)]
OptionalCallerDep = Annotated[Caller | None, Depends(optional_caller)]


def audit(
    session: Session,
    caller: Caller,
    *,
    action: str,
    now: datetime,
    target: str | None = None,
    detail: str | None = None,
) -> None:
    """Log an agent's action and commit it."""
    agent_audit.record(
        session, agent=caller.agent, action=action, now=now, target=target, detail=detail
    )
    session.commit()
