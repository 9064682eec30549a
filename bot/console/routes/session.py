"""Signing in and out of the console, and who is signed in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, StringConstraints

from bot.backend.agents import sessions
from bot.backend.deps import NowDep, SessionDep, SettingsDep
from bot.backend.errors import UnauthorizedError
from bot.console.auth import (
    COOKIE_NAME,
    CallerDep,
    ForbiddenError,
    same_origin,
    session_times,
)

router = APIRouter(prefix="/session", tags=["console"])


class SignIn(BaseModel):
    """Username and password typed on the sign-in page."""

    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class Me(BaseModel):
    """The signed-in agent, and the token its page sends with every change."""

    username: str
    display_name: str
    role: str
    teams: list[str]
    csrf_token: str


class WrongCredentialsError(UnauthorizedError):
    """Username unknown, password wrong, account locked or disabled: one answer for all."""

    code = "sign_in_failed"
    default_message = "用户名或密码不正确，或账号暂时被锁定。请核对后重试。"


@router.post("", response_model=Me)
def sign_in(
    body: SignIn,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Me:
    """Check the password and set the session cookie (HttpOnly, SameSite=Strict)."""
    if not same_origin(request):
        raise ForbiddenError()
    started = sessions.sign_in(
        session,
        username=body.username,
        password=body.password,
        now=now,
        times=session_times(settings),
    )
    if started is None:
        raise WrongCredentialsError()
    response.set_cookie(
        COOKIE_NAME,
        started.token,
        httponly=True,
        samesite="strict",
        secure=settings.console_cookie_secure,
        path="/console",
        max_age=settings.console_session_max_hours * 3600,
    )
    agent = started.agent
    return Me(
        username=agent.username,
        display_name=agent.display_name,
        role=agent.role,
        teams=list(agent.teams),
        csrf_token=started.csrf_token,
    )


@router.get("", response_model=Me)
def who_am_i(caller: CallerDep) -> Me:
    """Return the signed-in agent for the page to greet and to send the CSRF token."""
    agent = caller.agent
    return Me(
        username=agent.username,
        display_name=agent.display_name,
        role=agent.role,
        teams=list(agent.teams),
        csrf_token=caller.session.csrf_token,
    )


@router.delete("", status_code=204)
def sign_out(caller: CallerDep, response: Response, session: SessionDep, now: NowDep) -> None:
    """End the session and clear the cookie."""
    sessions.sign_out(session, row=caller.session, agent=caller.agent, now=now)
    response.delete_cookie(COOKIE_NAME, path="/console")
