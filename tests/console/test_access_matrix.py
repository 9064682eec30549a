"""Who may call what on the backend process: every route × every kind of credential.

Three kinds of route: the action server's (``BACKEND_API_TOKEN``), the staff
routes of the API (an agent session, the actor taken from it) and the
console's API (an agent session and its CSRF token). Each is tried with no
credential, a wrong one, the old placeholder, the right one, and the right
credential of the other kind. The same rules hold in both profiles (the
production profile changes no backend route); tests/e2e/test_access.py covers
the Rasa side.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.backend.conftest import TOKEN, AgentLogin, Clock, open_agent_session

NUMBER = "HS20261127-0001"
ACTION_ROUTES = [
    ("get", "/api/v1/reference/districts", None),
    ("get", "/api/v1/reference/hospitals", None),
    ("get", "/api/v1/consent/notices/housing", None),
    ("post", "/api/v1/requests", {}),
    ("post", "/api/v1/requests/lookup", {"number": NUMBER, "phone_last4": "5678"}),
    ("post", f"/api/v1/requests/{NUMBER}/cancel", {"phone_last4": "5678"}),
    ("get", "/api/v1/handoffs/availability?topic=housing&channel=socketio", None),
    ("post", "/api/v1/handoffs", {}),
    ("post", "/api/v1/notifications/opt-out", {"channel": "wechat", "sender_id": "oWx"}),
]
STAFF_ROUTES = [
    ("post", f"/api/v1/requests/{NUMBER}/status", {"status": "accepted"}),
    ("get", f"/api/v1/requests/{NUMBER}/events", None),
]
CONSOLE_ROUTES = [
    ("get", "/console/api/requests?q=13812345678", None),
    ("get", f"/console/api/requests/{NUMBER}", None),
    ("post", f"/console/api/requests/{NUMBER}/status", {"status": "accepted"}),
    ("post", f"/console/api/requests/{NUMBER}/contact", None),
    ("get", "/console/api/handoffs", None),
    ("post", "/console/api/assist", {"text": "你好"}),
    ("get", "/console/api/notifications?which=failed", None),
    ("post", "/console/api/notifications/1/retry", None),
]
CREDENTIALS = ["none", "wrong", "placeholder", "right", "wrong_scope"]


def headers_for(kind: str, credential: str, agent: AgentLogin) -> dict[str, str]:
    """Build the headers of one cell of the matrix."""
    token = {"Authorization": f"Bearer {TOKEN}"}
    session = agent.headers()
    forged = {"Cookie": "yucai_console=forged", "X-CSRF-Token": "forged"}
    return {
        "none": {},
        "wrong": {"Authorization": "Bearer wrong-token", **forged},
        "placeholder": {"Authorization": "Bearer dev-backend-token"},
        "right": token if kind == "action" else session,
        "wrong_scope": session if kind == "action" else token,
    }[credential]


def expected(kind: str, credential: str) -> set[int]:
    """The statuses one cell may answer (``right`` passes the gate: anything but 401/403)."""
    if credential == "right":
        return {200, 201, 404, 409, 422, 503}
    if credential == "wrong_scope" and kind in {"action", "staff"}:
        return {403}
    return {401}


@pytest.fixture
def agent(engine: Engine, clock: Clock) -> AgentLogin:
    """A supervisor-free agent of the housing team with a live session."""
    return open_agent_session(engine, "matrix", now=clock.now)


CELLS = [
    (kind, method, path, body, credential)
    for kind, routes in (
        ("action", ACTION_ROUTES),
        ("staff", STAFF_ROUTES),
        ("console", CONSOLE_ROUTES),
    )
    for method, path, body in routes
    for credential in CREDENTIALS
]


@pytest.mark.parametrize(
    ("kind", "method", "path", "body", "credential"),
    CELLS,
    ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[4]}" for c in CELLS],
)
def test_access_matrix(
    app: FastAPI,
    agent: AgentLogin,
    kind: str,
    method: str,
    path: str,
    body: Any,
    credential: str,
) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.request(
            method, path, json=body, headers=headers_for(kind, credential, agent)
        )
    assert response.status_code in expected(
        kind, credential
    ), f"{credential}: {response.status_code} {response.text[:200]}"


def test_the_actor_comes_from_the_session_not_the_body(
    app: FastAPI, agent: AgentLogin, submit_as_action: Any
) -> None:
    number = submit_as_action()
    with TestClient(app, raise_server_exceptions=False) as client:
        spoofed = client.post(
            f"/api/v1/requests/{number}/status",
            json={"status": "accepted", "actor": "agent:someone-else"},
            headers=agent.headers(),
        )
        moved = client.post(
            f"/api/v1/requests/{number}/status",
            json={"status": "accepted"},
            headers=agent.headers(),
        )
        events = client.get(f"/api/v1/requests/{number}/events", headers=agent.headers()).json()
    assert spoofed.status_code == 403
    assert moved.status_code == 200
    assert [e["actor"] for e in events] == ["applicant", "agent:matrix"]


def test_a_staff_change_needs_the_sessions_csrf_token(app: FastAPI, agent: AgentLogin) -> None:
    cookie_only = {"Cookie": agent.headers()["Cookie"]}
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(
            f"/api/v1/requests/{NUMBER}/status", json={"status": "accepted"}, headers=cookie_only
        )
    assert response.status_code == 403


@pytest.fixture
def submit_as_action(app: FastAPI) -> Any:
    """Create a housing request with the action server's token."""
    from tests.backend import payloads

    def _submit() -> str:
        with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            created = client.post(
                "/api/v1/requests", json=payloads.housing(), headers={"Idempotency-Key": "matrix"}
            )
        assert created.status_code == 201, created.text
        return str(created.json()["number"])

    return _submit
