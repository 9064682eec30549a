"""The shared dependencies run on the event loop and give every connection back.

``bot/backend/deps.py``: a plain function dependency costs a worker thread's
hop there and back; the session, settings, clock and the action server's token
check are coroutines, and a session that holds a connection is closed in a
worker thread (its rollback is I/O).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.backend import payloads
from tests.backend.conftest import Submit


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Name every function the app hands to a worker thread."""
    handed: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        handed.append(getattr(func, "__qualname__", repr(func)))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    yield handed


def pool_engine(app: FastAPI) -> Engine:
    engine: Engine = app.state.session_factory.kw["bind"]
    return engine


def test_a_create_takes_one_worker_thread_hop(submit: Submit, hops: list[str]) -> None:
    response = submit(payloads.housing())
    assert response.status_code == 201
    # the endpoint's own database work only: FastAPI checks a coroutine endpoint's answer
    # against the response model on its event loop (a plain endpoint's check took a second
    # hop); the session, settings, clock and token took none (as plain functions they took
    # five more: the session in and out, the token, the settings, the clock)
    assert len(hops) == 1, hops
    assert "create_request" in hops[0]


@pytest.mark.parametrize(
    ("method", "path", "body", "statuses"),
    [
        ("GET", "/api/v1/reference/districts", None, [200, 200, 200]),  # read, never committed
        ("POST", "/api/v1/requests", payloads.housing(), [201, 200, 200]),  # committed, replayed
        ("POST", "/api/v1/requests/lookup",
         {"number": "HS20261127-0001", "phone_last4": "0000"}, [404, 404, 404]),  # refused
    ],
)  # fmt: skip
def test_every_session_gives_its_connection_back(
    app: FastAPI, client: TestClient, method: str, path: str, body: Any, statuses: list[int]
) -> None:
    headers = {"Idempotency-Key": "deps-test-key"} if path == "/api/v1/requests" else {}
    for status in statuses:
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == status, response.text
        assert pool_engine(app).pool.checkedout() == 0  # type: ignore[attr-defined]


def test_an_agent_session_without_the_token_is_still_the_wrong_scope(
    app: FastAPI, client: TestClient
) -> None:
    # the token check's database branch (an agent's cookie, no token) runs in a worker thread
    response = client.post(
        "/api/v1/requests",
        json=payloads.housing(),
        headers={"Idempotency-Key": "deps-scope", "Authorization": ""},
    )
    assert response.status_code == 403
    assert pool_engine(app).pool.checkedout() == 0  # type: ignore[attr-defined]
