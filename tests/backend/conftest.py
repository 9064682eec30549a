"""Fixtures: the real backend app on a real SQLite file or PostgreSQL database.

Every test that takes ``database_url`` or ``ready_database_url`` runs twice,
once per database. The PostgreSQL runs create uniquely named databases on
127.0.0.1:5432 (override with ``YUCAI_TEST_POSTGRES_URL``) and drop them
afterwards; when the server is unreachable those runs are skipped with the
reason after a short connect timeout, never hanging.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.backend.bootstrap import init_db
from bot.backend.config import Settings
from bot.backend.db import create_db_engine
from bot.backend.main import create_app
from tests.backend import payloads

POSTGRES_URL = os.environ.get(
    "YUCAI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CONNECT_TIMEOUT_SECONDS = 3
TOKEN = "test-backend-token"
#: seals resident ID numbers in the test databases (any non-empty key works here)
ID_KEY = "test-id-number-key-0123456789abcdefghijklmnopqrstuvwxyz"
#: 10:00 in Chongqing on the day the notices were published.
FIXED_NOW = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)


def _libpq_dsn(url: str) -> str:
    """Turn a SQLAlchemy URL into a libpq connection string."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_problem() -> str | None:
    """Say why PostgreSQL cannot be used, once per session; None when it can."""
    try:
        with psycopg.connect(_libpq_dsn(POSTGRES_URL), connect_timeout=CONNECT_TIMEOUT_SECONDS):
            return None
    except psycopg.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return f"PostgreSQL at {make_url(POSTGRES_URL).host} unreachable: {first_line}"


def _create_postgres_database(name: str, *, template: str | None = None) -> str:
    """Create database ``name`` (a copy of ``template`` if given) and return its URL."""
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)
        )
    with psycopg.connect(
        _libpq_dsn(POSTGRES_URL), autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
    ) as admin:
        admin.execute(statement)
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(name: str) -> None:
    """Drop database ``name``, closing any connection a failed test left open."""
    with psycopg.connect(
        _libpq_dsn(POSTGRES_URL), autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
    ) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_problem: str | None
) -> Iterator[str]:
    """Give an empty database of each kind, removed after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if postgres_problem is not None:
        pytest.skip(postgres_problem)
    name = f"yucai_test_{uuid.uuid4().hex[:12]}"
    try:
        yield _create_postgres_database(name)
    finally:
        _drop_postgres_database(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run ``init-db`` once per session on a SQLite file that tests copy."""
    path = tmp_path_factory.mktemp("template") / "ready.db"
    init_db(f"sqlite:///{path}", now=FIXED_NOW)
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_problem: str | None) -> Iterator[str]:
    """Run ``init-db`` once per session on a PostgreSQL database that tests clone."""
    if postgres_problem is not None:
        pytest.skip(postgres_problem)
    name = f"yucai_template_{uuid.uuid4().hex[:12]}"
    try:
        init_db(_create_postgres_database(name), now=FIXED_NOW)
        yield name
    finally:
        _drop_postgres_database(name)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def ready_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Give each test its own database after ``init-db`` (migrations and reference data).

    ``init-db`` runs once per session on a template; a test gets a copy of the
    SQLite file, or a uniquely named PostgreSQL database created from the
    template and dropped afterwards.
    """
    if request.param == "sqlite":
        path = tmp_path / "backend.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template: str = request.getfixturevalue("postgres_template")
    name = f"yucai_test_{uuid.uuid4().hex[:12]}"
    try:
        yield _create_postgres_database(name, template=template)
    finally:
        _drop_postgres_database(name)


@dataclass
class Clock:
    """A settable clock the app reads instead of the wall clock."""

    now: datetime = FIXED_NOW

    def __call__(self) -> datetime:
        """Return the current fake time."""
        return self.now


@pytest.fixture
def clock() -> Clock:
    """Freeze the app's time at 10:00 Chongqing time on 2026-11-27."""
    return Clock()


@pytest.fixture
def settings(ready_database_url: str) -> Settings:
    """Settings pointing at the test database with a test token."""
    # the daily sequence keeps these tests' numbers predictable; tests/backend/test_guessing.py
    # covers the random numbers every real installation hands out
    return Settings(
        database_url=ready_database_url,
        backend_api_token=TOKEN,
        id_number_key=ID_KEY,
        request_numbers="sequential",
        # agent li's session (the ``client``) outlives the clock moves of these tests
        console_session_idle_minutes=60 * 24 * 90,
        console_session_max_hours=24 * 365,
        # no outbox worker calling a Rasa on the default port: tests run its rounds themselves
        notify_interval_seconds=0,
    )


@pytest.fixture
def app(settings: Settings, clock: Clock) -> FastAPI:
    """Build the real app on the test database with the frozen clock."""
    application = create_app(settings)
    application.state.clock = clock
    return application


@pytest.fixture
def client(app: FastAPI, staff_login: AgentLogin) -> Iterator[TestClient]:
    """Talk to the app over ASGI as the action server (its token) and agent li (a session).

    Each credential opens only its own routes (bot/backend/security.py);
    tests/backend/test_access.py checks them one at a time.
    """
    headers = {"Authorization": f"Bearer {TOKEN}", **staff_login.headers()}
    with TestClient(app, headers=headers, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def staff_login(engine: Engine, clock: Clock) -> AgentLogin:
    """Agent li with a live console session, written straight to the database (no scrypt)."""
    return open_agent_session(engine, "li", now=clock.now)


def open_agent_session(engine: Engine, username: str, *, now: datetime) -> AgentLogin:
    """Create an agent and a session for it directly, as a sign-in would leave them."""
    from datetime import timedelta

    from bot.backend.agents.models import Agent, AgentSession
    from bot.backend.agents.sessions import token_hash

    cookie, csrf = uuid.uuid4().hex + uuid.uuid4().hex, uuid.uuid4().hex
    with Session(engine) as own:
        agent = Agent(
            username=username,
            display_name=f"{username}老师",
            password_hash="unused",
            role="agent",
            teams=["housing"],
            active=True,
            failed_logins=0,
            created_at=now,
            updated_at=now,
        )
        own.add(agent)
        own.flush()
        own.add(
            AgentSession(
                token_hash=token_hash(cookie),
                agent_id=agent.id,
                csrf_token=csrf,
                created_at=now,
                last_used_at=now,
                expires_at=now + timedelta(days=365),
            )
        )
        own.commit()
    return AgentLogin(f"agent:{username}", cookie, csrf)


@pytest.fixture
def engine(ready_database_url: str) -> Iterator[Engine]:
    """A separate engine for looking at the database behind the app's back."""
    own_engine = create_db_engine(ready_database_url)
    yield own_engine
    own_engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for direct assertions on stored rows."""
    with Session(engine) as own_session:
        yield own_session


Submit = Callable[..., Any]


@pytest.fixture
def submit(client: TestClient) -> Submit:
    """Post a request body with a fresh (or given) idempotency key."""

    def _submit(body: dict[str, Any], key: str | None = None) -> Any:
        return client.post(
            "/api/v1/requests",
            json=body,
            headers={"Idempotency-Key": key or uuid.uuid4().hex},
        )

    return _submit


@pytest.fixture
def housing_request(submit: Submit) -> dict[str, Any]:
    """A submitted housing request as the API returned it."""
    response = submit(payloads.housing())
    assert response.status_code == 201, response.text
    return dict(response.json())


@dataclass(frozen=True)
class AgentLogin:
    """An agent's session cookie and CSRF token, for the staff routes."""

    actor: str
    cookie: str
    csrf: str

    def headers(self) -> dict[str, str]:
        """Return the headers a staff call carries (the cookie is sent explicitly)."""
        return {"Cookie": f"yucai_console={self.cookie}", "X-CSRF-Token": self.csrf}


@pytest.fixture
def sign_in_agent(engine: Engine, clock: Clock) -> Callable[[str], AgentLogin]:
    """Give another agent a live session."""
    return lambda username: open_agent_session(engine, username, now=clock.now)
