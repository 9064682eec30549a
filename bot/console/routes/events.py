"""The live console: the queue and the open conversation as server-sent events.

The page opens one ``EventSource`` on ``/console/api/events`` (``?handoff=ID``
while a conversation is open) and falls back to polling when it cannot.
The stream is sse-starlette's (keep-alive pings, disconnect handling). Every
``EVENTS_EVERY_SECONDS`` the server builds the same answers the polled
routes give and sends one only when it changed; reading the database rather
than an in-process bus keeps every backend worker's changes visible without
a broker. Each round checks the session cookie again (a signed-out or expired
agent's stream ends), and the answers carry the agent's scope exactly as the
polled routes do: only its teams' queue, only a conversation it may see.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse

from bot.backend.agents import sessions
from bot.backend.errors import ApiError
from bot.backend.rasa_client import rasa_for
from bot.console.auth import COOKIE_NAME, Caller, CallerDep, session_times
from bot.console.routes import handoffs

router = APIRouter(tags=["console"])
EVENTS_EVERY_SECONDS = 1.0
PING_SECONDS = 15


def _caller(session: Session, request: Request, token: str) -> Caller | None:
    found = sessions.resolve(
        session,
        token=token,
        now=request.app.state.clock(),
        times=session_times(request.app.state.settings),
    )
    return Caller(agent=found[1], session=found[0]) if found else None


def snapshot(request: Request, token: str, handoff_id: int | None) -> dict[str, str] | None:
    """Build the queue (and conversation) as JSON for one round; None once signed out."""
    with request.app.state.session_factory() as session:
        caller = _caller(session, request, token)
        if caller is None:
            return None
        app = request.app
        now = app.state.clock()
        found: dict[str, str] = {
            "queue": handoffs.list_queue(caller, session, app.state.settings, now).model_dump_json()
        }
        if handoff_id is not None:
            try:
                shown = handoffs.show(handoff_id, caller, session, now, rasa_for(app))
                found["conversation"] = shown.model_dump_json()
            except ApiError as exc:
                found["conversation_error"] = exc.message
        return found


@router.get("/events")
async def stream(
    request: Request, caller: CallerDep, handoff: int | None = None
) -> EventSourceResponse:
    """Stream ``queue`` and ``conversation`` events for the signed-in agent."""
    token = request.cookies.get(COOKIE_NAME, "")
    del caller  # checked above; each round checks the cookie again

    async def events() -> AsyncIterator[dict[str, Any]]:
        sent: dict[str, str] = {}
        while not await request.is_disconnected():
            found = await asyncio.to_thread(snapshot, request, token, handoff)
            if found is None:
                yield {"event": "signed_out", "data": "请重新登录"}
                return
            for name, data in found.items():
                if sent.get(name) != data:
                    sent[name] = data
                    yield {"event": name, "data": data}
            await asyncio.sleep(EVENTS_EVERY_SECONDS)

    return EventSourceResponse(events(), ping=PING_SECONDS)
