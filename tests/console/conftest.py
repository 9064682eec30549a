"""Fixtures: the real app with the console (bot.server) on SQLite and PostgreSQL, and agents.

The database fixtures are the backend's own (tests/backend/conftest.py), so
every console test that touches the database also runs on both databases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from bot.backend.agents import service as accounts
from bot.backend.config import Settings
from bot.server import create_app
from tests.backend import conftest as backend
from tests.backend.conftest import FIXED_NOW, ID_KEY, TOKEN, Clock

# the backend's database fixtures, so console tests also run on both databases
postgres_problem = backend.postgres_problem
sqlite_template = backend.sqlite_template
postgres_template = backend.postgres_template
ready_database_url = backend.ready_database_url
clock = backend.clock
engine = backend.engine
session = backend.session

PASSWORD = "渝才热线-2026-测试"
#: The browser's origin as TestClient presents it.
BASE_URL = "http://testserver"


@pytest.fixture
def settings(ready_database_url: str) -> Settings:
    """Settings on the test database; people answer round the clock."""
    return Settings(
        database_url=ready_database_url,
        backend_api_token=TOKEN,
        id_number_key=ID_KEY,
        service_hours="mon-sun 00:00-24:00",
        # no outbox worker calling a Rasa on the default port: tests run its rounds themselves
        notify_interval_seconds=0,
    )


@pytest.fixture
def app(settings: Settings, clock: Clock) -> FastAPI:
    """The real app with the console, on the test database and the frozen clock."""
    application = create_app(settings)
    application.state.clock = clock
    return application


@dataclass
class AgentClient:
    """A browser-like client signed in as one agent, sending its CSRF token."""

    client: TestClient
    csrf: str
    username: str

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET a console path."""
        return self.client.get(path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        """POST JSON with the CSRF header, as the console page does."""
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.client.post(path, json=json, headers=headers, **kwargs)


MakeAgent = Callable[..., AgentClient]


@pytest.fixture
def make_agent(app: FastAPI, session: Session) -> Iterator[MakeAgent]:
    """Create an account and return a client signed in with it."""
    clients: list[TestClient] = []

    def _make(
        username: str, *, teams: tuple[str, ...] = ("general",), role: str = "agent"
    ) -> AgentClient:
        accounts.create_agent(
            session,
            username=username,
            display_name=f"{username}老师",
            password=PASSWORD,
            role=role,
            teams=teams,
            now=FIXED_NOW,
        )
        client = TestClient(app, base_url=BASE_URL, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        response = client.post(
            "/console/api/session", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return AgentClient(client=client, csrf=response.json()["csrf_token"], username=username)

    yield _make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def bot_api(app: FastAPI) -> Iterator[TestClient]:
    """The bot's side: the backend API with its bearer token."""
    with TestClient(
        app, headers={"Authorization": f"Bearer {TOKEN}"}, raise_server_exceptions=False
    ) as client:
        yield client
