"""Staff status changes follow the lifecycle, and every change is audited."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from bot.backend.requests.lifecycle import STAFF_TRANSITIONS, STATUSES
from tests.backend.conftest import AgentLogin, Clock

#: How to reach each status from "submitted" through legal moves.
PATHS: dict[str, list[str]] = {
    "submitted": [],
    "accepted": ["accepted"],
    "in_progress": ["accepted", "in_progress"],
    "completed": ["accepted", "in_progress", "completed"],
    "rejected": ["accepted", "in_progress", "rejected"],
    "cancelled": [],
}
STAFF_TARGETS = ["accepted", "in_progress", "completed", "rejected"]
MOVES = [(start, target) for start in STATUSES for target in STAFF_TARGETS]


def move(client: TestClient, number: str, status: str, **extra: Any) -> Any:
    """Change a request's status as an agent."""
    return client.post(
        f"/api/v1/requests/{number}/status",
        json={"status": status, "actor": "agent:li", **extra},
    )


def reach(client: TestClient, number: str, status: str) -> None:
    """Bring a fresh request to ``status`` through legal moves."""
    for step in PATHS[status]:
        assert move(client, number, step).status_code == 200
    if status == "cancelled":
        cancelled = client.post(f"/api/v1/requests/{number}/cancel", json={"phone_last4": "5678"})
        assert cancelled.status_code == 200


@pytest.mark.parametrize(("start", "target"), MOVES, ids=[f"{s}->{t}" for s, t in MOVES])
def test_only_lifecycle_moves_are_allowed(
    client: TestClient, housing_request: dict[str, Any], start: str, target: str
) -> None:
    number = housing_request["number"]
    reach(client, number, start)
    response = move(client, number, target)
    legal = target in STAFF_TRANSITIONS.get(start, frozenset())
    if legal:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == target
    else:
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "invalid_transition"
        lookup = client.post(
            "/api/v1/requests/lookup", json={"number": number, "phone_last4": "5678"}
        )
        assert lookup.json()["status"] == start


def test_full_lifecycle_labels(client: TestClient, housing_request: dict[str, Any]) -> None:
    number = housing_request["number"]
    labels = [move(client, number, s).json()["status_label"] for s in PATHS["completed"]]
    assert labels == ["已受理", "办理中", "已办结"]


@pytest.mark.parametrize("status", ["cancelled", "submitted", "archived"])
def test_staff_cannot_set_other_statuses(
    client: TestClient, housing_request: dict[str, Any], status: str
) -> None:
    response = move(client, housing_request["number"], status)
    assert response.status_code == 422
    assert "status" in response.json()["error"]["fields"]


@pytest.mark.parametrize("actor", ["applicant", "", "agent li", "agent:", "Agent:li"])
def test_actor_must_name_staff(
    client: TestClient, housing_request: dict[str, Any], actor: str
) -> None:
    response = move(client, housing_request["number"], "accepted", actor=actor)
    assert response.status_code == 422
    assert "actor" in response.json()["error"]["fields"]


def test_status_of_unknown_request_is_not_found(client: TestClient) -> None:
    response = move(client, "HS20261127-0404", "accepted")
    assert response.status_code == 404


def test_every_change_appends_an_event(
    client: TestClient, housing_request: dict[str, Any], clock: Clock, sign_in_agent: Any
) -> None:
    number = housing_request["number"]
    wang: AgentLogin = sign_in_agent("wang")
    clock.now += timedelta(minutes=5)
    move(client, number, "accepted", note="材料齐全")
    clock.now += timedelta(minutes=5)
    # the actor comes from the session (issue 11): wang signs in to make his change
    client.post(
        f"/api/v1/requests/{number}/status",
        json={"status": "in_progress"},
        headers=wang.headers(),
    )
    clock.now += timedelta(minutes=5)
    client.post(
        f"/api/v1/requests/{number}/cancel",
        json={"phone_last4": "5678", "reason": "不需要了，电话13900001111"},
    )
    response = client.get(f"/api/v1/requests/{number}/events")
    assert response.status_code == 200
    assert response.json() == [
        {
            "at": "2026-11-27T10:00:00+08:00",
            "actor": "applicant",
            "action": "created",
            "from_status": None,
            "to_status": "submitted",
            "note": "渠道：rest",
        },
        {
            "at": "2026-11-27T10:05:00+08:00",
            "actor": "agent:li",
            "action": "status_changed",
            "from_status": "submitted",
            "to_status": "accepted",
            "note": "材料齐全",
        },
        {
            "at": "2026-11-27T10:10:00+08:00",
            "actor": "agent:wang",
            "action": "status_changed",
            "from_status": "accepted",
            "to_status": "in_progress",
            "note": None,
        },
        {
            "at": "2026-11-27T10:15:00+08:00",
            "actor": "applicant",
            "action": "cancelled",
            "from_status": "in_progress",
            "to_status": "cancelled",
            "note": "不需要了，电话139****1111",
        },
    ]


def test_refused_changes_leave_no_event(
    client: TestClient, housing_request: dict[str, Any]
) -> None:
    number = housing_request["number"]
    assert move(client, number, "completed").status_code == 409
    assert len(client.get(f"/api/v1/requests/{number}/events").json()) == 1


def test_updated_at_follows_changes(
    client: TestClient, housing_request: dict[str, Any], clock: Clock
) -> None:
    clock.now += timedelta(hours=2)
    moved = move(client, housing_request["number"], "accepted").json()
    assert moved["created_at"] == "2026-11-27T10:00:00+08:00"
    assert moved["updated_at"] == "2026-11-27T12:00:00+08:00"


def test_events_of_unknown_request_is_not_found(client: TestClient) -> None:
    assert client.get("/api/v1/requests/HS20261127-0404/events").status_code == 404


@pytest.mark.parametrize(
    "statement",
    ["UPDATE request_event SET note = 'rewritten'", "DELETE FROM request_event"],
    ids=["update", "delete"],
)
def test_the_database_refuses_to_change_audit_rows(
    engine: Engine, housing_request: dict[str, Any], statement: str
) -> None:
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    with engine.connect() as connection:
        notes = connection.execute(text("SELECT note FROM request_event")).scalars().all()
    assert notes == ["渠道：rest"]


def test_racing_changes_apply_once(client: TestClient, housing_request: dict[str, Any]) -> None:
    number = housing_request["number"]
    barrier = threading.Barrier(6)

    def cancel(_: int) -> int:
        barrier.wait()
        response = client.post(f"/api/v1/requests/{number}/cancel", json={"phone_last4": "5678"})
        return int(response.status_code)

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(cancel, range(6)))
    assert statuses == [200] + [409] * 5
    actions = [e["action"] for e in client.get(f"/api/v1/requests/{number}/events").json()]
    assert actions == ["created", "cancelled"]
