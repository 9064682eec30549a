"""FastAPI dependencies shared by the domain routers.

They are coroutines: FastAPI runs a plain function dependency in a worker thread,
each one a hop there and back (anyio's thread pool), and a request to create a
service request took six such hops, a fifth of the backend's time on its event
loop (docs/performance.md, row 38). Nothing here blocks: a new session holds no
connection, and one that does is closed in a worker thread. The endpoints stay
plain functions, run in a worker thread with their database work, except the
request create every submission waits for: a coroutine that hands its work to
one worker thread itself (row 41).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.backend.config import Settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Yield one session per HTTP request, closed (and rolled back) afterwards."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    try:
        yield session
    finally:
        if session.in_transaction():  # a rollback and a connection back to the pool: I/O
            await run_in_threadpool(session.close)
        else:  # committed, or never used: nothing to send to the database
            session.close()


async def get_settings(request: Request) -> Settings:
    """Hand the app's settings to an endpoint."""
    settings: Settings = request.app.state.settings
    return settings


async def get_now(request: Request) -> datetime:
    """Read the app's clock (replaceable in tests) once per request."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
NowDep = Annotated[datetime, Depends(get_now)]
