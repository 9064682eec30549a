"""Owners look up and cancel requests with the last four digits of their phone."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


def lookup(client: TestClient, number: str, last4: str, turn: str | None = None) -> Any:
    """Ask for a request's status with the ownership proof (in the bot's turn ``turn``)."""
    headers = {"X-Request-ID": turn} if turn else None
    return client.post(
        "/api/v1/requests/lookup", json={"number": number, "phone_last4": last4}, headers=headers
    )


def test_lookup_with_the_right_phone(client: TestClient, housing_request: dict[str, Any]) -> None:
    response = lookup(client, housing_request["number"], "5678")
    assert response.status_code == 200
    assert response.json() == housing_request


def test_lookup_ignores_case_and_blanks_in_the_number(
    client: TestClient, housing_request: dict[str, Any]
) -> None:
    response = lookup(client, f"  {housing_request['number'].lower()} ", "5678")
    assert response.status_code == 200


def test_unknown_number_and_wrong_phone_look_exactly_alike(
    client: TestClient, housing_request: dict[str, Any]
) -> None:
    # in the same turn: the echoed X-Request-ID is the caller's own, not a difference
    wrong_phone = lookup(client, housing_request["number"], "0000", turn="turn-1")
    unknown = lookup(client, "HS20261127-9999", "5678", turn="turn-1")
    garbage = lookup(client, "nonsense", "5678", turn="turn-1")
    assert wrong_phone.status_code == unknown.status_code == garbage.status_code == 404
    assert wrong_phone.content == unknown.content == garbage.content
    assert wrong_phone.json()["error"]["code"] == "not_found"
    assert dict(wrong_phone.headers) == dict(unknown.headers)


@pytest.mark.parametrize("last4", ["567", "56789", "abcd", ""])
def test_lookup_needs_four_digits(client: TestClient, last4: str) -> None:
    response = lookup(client, "HS20261127-0001", last4)
    assert response.status_code == 422
    assert "phone_last4" in response.json()["error"]["fields"]


def test_cancel_by_the_owner(client: TestClient, housing_request: dict[str, Any]) -> None:
    number = housing_request["number"]
    response = client.post(
        f"/api/v1/requests/{number}/cancel", json={"phone_last4": "5678", "reason": "已另行租房"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["status_label"] == "已取消"
    assert lookup(client, number, "5678").json()["status"] == "cancelled"


def test_cancel_twice_is_an_invalid_transition(
    client: TestClient, housing_request: dict[str, Any]
) -> None:
    url = f"/api/v1/requests/{housing_request['number']}/cancel"
    assert client.post(url, json={"phone_last4": "5678"}).status_code == 200
    second = client.post(url, json={"phone_last4": "5678"})
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "invalid_transition"
    assert "已取消" in second.json()["error"]["message"]


@pytest.mark.parametrize("final", ["completed", "rejected"])
def test_cancel_after_the_end_is_an_invalid_transition(
    client: TestClient, housing_request: dict[str, Any], final: str
) -> None:
    number = housing_request["number"]
    for status in ("accepted", "in_progress", final):
        moved = client.post(
            f"/api/v1/requests/{number}/status", json={"status": status, "actor": "agent:li"}
        )
        assert moved.status_code == 200, moved.text
    response = client.post(f"/api/v1/requests/{number}/cancel", json={"phone_last4": "5678"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


@pytest.mark.parametrize("status", ["accepted", "in_progress"])
def test_cancel_while_being_handled(
    client: TestClient, housing_request: dict[str, Any], status: str
) -> None:
    number = housing_request["number"]
    path = ["accepted"] if status == "accepted" else ["accepted", "in_progress"]
    for step in path:
        client.post(f"/api/v1/requests/{number}/status", json={"status": step, "actor": "agent:li"})
    response = client.post(f"/api/v1/requests/{number}/cancel", json={"phone_last4": "5678"})
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_cancel_with_a_wrong_phone_looks_like_an_unknown_number(
    client: TestClient, housing_request: dict[str, Any]
) -> None:
    wrong = client.post(
        f"/api/v1/requests/{housing_request['number']}/cancel", json={"phone_last4": "1111"}
    )
    unknown = client.post("/api/v1/requests/HS20990101-0001/cancel", json={"phone_last4": "5678"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.content == unknown.content
    assert lookup(client, housing_request["number"], "5678").json()["status"] == "submitted"


def test_cancel_reason_is_limited(client: TestClient, housing_request: dict[str, Any]) -> None:
    response = client.post(
        f"/api/v1/requests/{housing_request['number']}/cancel",
        json={"phone_last4": "5678", "reason": "长" * 201},
    )
    assert response.status_code == 422
    assert "reason" in response.json()["error"]["fields"]
