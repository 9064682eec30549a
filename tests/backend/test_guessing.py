"""Guessing stops: failed phone proofs are counted in the database and lock the number."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.backend.config import Settings
from bot.backend.main import create_app
from bot.common.catalogue.numbers import NUMBER_PATTERN, check_letter, check_letter_ok
from tests.backend import payloads
from tests.backend.conftest import ID_KEY, TOKEN, Clock

LOCKED_CODE = "too_many_attempts"


def lookup(client: TestClient, number: str, last4: str, sender: str = "guesser") -> Any:
    """Try a proof as one sender of the REST channel."""
    return client.post(
        "/api/v1/requests/lookup",
        json={"number": number, "phone_last4": last4, "channel": "rest", "sender_id": sender},
    )


def guess_wrong(client: TestClient, number: str, times: int, sender: str = "guesser") -> None:
    """Fail the proof ``times`` times, each answered like an unknown number."""
    for attempt in range(times):
        response = lookup(client, number, f"{attempt:04d}", sender)
        assert response.status_code == 404, response.text


@pytest.fixture
def second_app(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    """Another backend instance on the same database, as behind a load balancer."""
    other: FastAPI = create_app(settings)
    other.state.clock = clock
    with TestClient(
        other, headers={"Authorization": f"Bearer {TOKEN}"}, raise_server_exceptions=False
    ) as client:
        yield client


def test_the_sixth_wrong_guess_and_then_the_right_digits_are_refused(
    client: TestClient, housing_request: dict[str, Any]
) -> None:
    number = housing_request["number"]
    guess_wrong(client, number, 5)
    sixth = lookup(client, number, "9999")
    right = lookup(client, number, "5678")
    for refused in (sixth, right):
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == LOCKED_CODE
        assert "稍后再试" in refused.json()["error"]["message"]
        assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    cancel = client.post(f"/api/v1/requests/{number}/cancel", json={"phone_last4": "5678"})
    assert cancel.status_code == 429


def test_the_lock_holds_on_every_instance_and_for_a_new_sender(
    client: TestClient, second_app: TestClient, housing_request: dict[str, Any]
) -> None:
    number = housing_request["number"]
    guess_wrong(client, number, 3, sender="first")
    guess_wrong(second_app, number, 2, sender="second")  # the count is shared
    assert lookup(second_app, number, "5678", sender="a-brand-new-sender").status_code == 429
    assert lookup(client, number, "5678", sender="yet-another").status_code == 429


def test_a_number_that_does_not_exist_answers_exactly_the_same(
    client: TestClient, housing_request: dict[str, Any]
) -> None:
    real, ghost = housing_request["number"], "HS20261127-0999"
    guess_wrong(client, real, 5, sender="a")
    guess_wrong(client, ghost, 5, sender="b")
    locked_real = lookup(client, real, "5678", sender="c")
    locked_ghost = lookup(client, ghost, "5678", sender="d")
    assert locked_real.status_code == locked_ghost.status_code == 429
    assert locked_real.content == locked_ghost.content
    assert locked_real.headers["Retry-After"] == locked_ghost.headers["Retry-After"]


def test_the_lock_ends_after_the_window(
    client: TestClient, housing_request: dict[str, Any], clock: Clock
) -> None:
    number = housing_request["number"]
    guess_wrong(client, number, 5)
    clock.now += timedelta(minutes=14)
    assert lookup(client, number, "5678", sender="owner").status_code == 429
    clock.now += timedelta(minutes=1, seconds=1)
    assert lookup(client, number, "5678", sender="owner").status_code == 200


def test_a_sender_that_keeps_guessing_is_locked_for_every_number(
    client: TestClient, submit: Any
) -> None:
    numbers = [submit(payloads.housing()).json()["number"] for _ in range(3)]
    for index in range(5):
        lookup(client, numbers[index % 3], "0000", sender="walker")
    assert lookup(client, numbers[0], "5678", sender="walker").status_code == 429
    assert lookup(client, numbers[0], "5678", sender="somebody-else").status_code == 200


def test_a_right_proof_before_the_limit_is_answered(
    client: TestClient, housing_request: dict[str, Any]
) -> None:
    number = housing_request["number"]
    guess_wrong(client, number, 4)
    assert lookup(client, number, "5678", sender="owner").status_code == 200


@pytest.fixture
def random_settings(ready_database_url: str) -> Settings:
    """Settings as every installation has them: random numbers."""
    return Settings(database_url=ready_database_url, backend_api_token=TOKEN, id_number_key=ID_KEY)


def test_new_numbers_are_random_with_a_check_letter(
    random_settings: Settings, clock: Clock
) -> None:
    app = create_app(random_settings)
    app.state.clock = clock
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        numbers = [
            client.post(
                "/api/v1/requests",
                json=payloads.housing(),
                headers={"Idempotency-Key": f"random-{i}"},
            ).json()["number"]
            for i in range(6)
        ]
        assert all(re.fullmatch(r"HS20261127-\d{4}[A-Z]", n) for n in numbers), numbers
        assert all(NUMBER_PATTERN.fullmatch(n) and check_letter_ok(n) for n in numbers)
        assert len(set(numbers)) == 6  # no sequence to walk
        # a mistyped digit breaks the check letter, and is simply not found
        typo = numbers[0][:-2] + str((int(numbers[0][-2]) + 1) % 10) + numbers[0][-1]
        assert not check_letter_ok(typo)
        proof = {"number": numbers[0], "phone_last4": "5678"}
        assert client.post("/api/v1/requests/lookup", json=proof).status_code == 200


def test_the_check_letter_catches_a_swap() -> None:
    body = "HS20261129-4827"
    swapped = "HS20261129-4872"
    assert check_letter(body) != check_letter(swapped)
