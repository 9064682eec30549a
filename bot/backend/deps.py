"""FastAPI dependencies shared by the domain routers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from bot.backend.config import Settings


def get_session(request: Request) -> Iterator[Session]:
    """Yield one session per HTTP request, closed (and rolled back) afterwards."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        yield session


def get_settings(request: Request) -> Settings:
    """Hand the app's settings to an endpoint."""
    settings: Settings = request.app.state.settings
    return settings


def get_now(request: Request) -> datetime:
    """Read the app's clock (replaceable in tests) once per request."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
NowDep = Annotated[datetime, Depends(get_now)]
