"""One idempotency key, one request: replays, conflicts and racing duplicates."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.backend.consent.models import ConsentRecord
from bot.backend.requests.models import RequestEvent, ServiceRequest
from tests.backend import payloads
from tests.backend.conftest import Clock, Submit

THREADS = 8


def count(session: Session, model: type[Any]) -> int:
    """Count the rows of a table."""
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_same_key_and_body_replays_the_same_request(submit: Submit, session: Session) -> None:
    first = submit(payloads.housing(), key="retry-1")
    second = submit(payloads.housing(), key="retry-1")
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.headers["idempotent-replay"] == "true"
    assert second.json() == first.json()
    assert count(session, ServiceRequest) == 1
    assert count(session, RequestEvent) == 1
    assert count(session, ConsentRecord) == 1


def test_replay_shows_the_current_state(submit: Submit, client: TestClient) -> None:
    number = submit(payloads.housing(), key="retry-2").json()["number"]
    client.post(f"/api/v1/requests/{number}/cancel", json={"phone_last4": "5678"})
    replay = submit(payloads.housing(), key="retry-2")
    assert replay.status_code == 200
    assert replay.json()["status"] == "cancelled"


def test_replay_wins_over_checks_that_depend_on_time(submit: Submit, clock: Clock) -> None:
    first = submit(payloads.hospital(visit_date="2026-11-27"), key="yesterday")
    clock.now += timedelta(days=1)  # the visit date is now in the past
    replay = submit(payloads.hospital(visit_date="2026-11-27"), key="yesterday")
    assert replay.status_code == 200
    assert replay.json()["number"] == first.json()["number"]


def test_whitespace_differences_do_not_make_a_different_body(submit: Submit) -> None:
    first = submit(payloads.housing(), key="trim")
    padded = payloads.with_change(payloads.housing(), "applicant.name", " 张三 ")
    assert submit(padded, key="trim").json()["number"] == first.json()["number"]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("details.household_size", 4),
        ("applicant.phone", "13912345678"),
        ("kind", "hospital"),
    ],
)
def test_same_key_different_body_is_a_conflict(
    submit: Submit, session: Session, path: str, value: Any
) -> None:
    assert submit(payloads.housing(), key="shared").status_code == 201
    other = payloads.with_change(payloads.housing(), path, value)
    if path == "kind":
        other = payloads.hospital()
    response = submit(other, key="shared")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "idempotency_conflict"
    assert "幂等键" in error["message"]
    assert count(session, ServiceRequest) == 1


def test_different_keys_make_different_requests(submit: Submit, session: Session) -> None:
    numbers = {submit(payloads.housing(), key=f"key-{i}").json()["number"] for i in range(3)}
    assert numbers == {"HS20261127-0001", "HS20261127-0002", "HS20261127-0003"}
    assert count(session, ServiceRequest) == 3


def _race(client: TestClient, bodies_and_keys: list[tuple[dict[str, Any], str]]) -> list[Any]:
    """Fire all submissions at once from separate threads."""
    barrier = threading.Barrier(len(bodies_and_keys))

    def fire(item: tuple[dict[str, Any], str]) -> Any:
        body, key = item
        barrier.wait()
        return client.post("/api/v1/requests", json=body, headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(max_workers=len(bodies_and_keys)) as pool:
        return list(pool.map(fire, bodies_and_keys))


def test_concurrent_duplicates_make_exactly_one_request(
    client: TestClient, session: Session
) -> None:
    responses = _race(client, [(payloads.hospital(), "double-click")] * THREADS)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (THREADS - 1) + [201], [r.text for r in responses]
    assert len({r.json()["number"] for r in responses}) == 1
    assert count(session, ServiceRequest) == 1
    assert count(session, RequestEvent) == 1
    assert count(session, ConsentRecord) == 1


def test_concurrent_different_requests_get_distinct_numbers(
    client: TestClient, session: Session
) -> None:
    responses = _race(client, [(payloads.housing(), f"parallel-{i}") for i in range(THREADS)])
    assert [r.status_code for r in responses] == [201] * THREADS, [r.text for r in responses]
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == [f"HS20261127-{i:04d}" for i in range(1, THREADS + 1)]
    assert count(session, ServiceRequest) == THREADS
