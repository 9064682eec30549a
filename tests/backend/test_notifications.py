"""Status updates owed to the applicant: one per request and status, sent, retried, listed.

Rasa is played by an ``httpx.MockTransport`` behind the real ``RasaClient``:
it is the backend's only way out, so what it was asked is what the user got.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.backend.config import Settings
from bot.backend.notifications.models import Notification
from bot.backend.notifications.worker import deliver_due
from bot.backend.rasa_client import RasaClient
from tests.backend import payloads
from tests.backend.conftest import Clock


@dataclass
class FakeRasa:
    """Rasa's HTTP API: a tracker per sender, and what was appended (delivered) to it."""

    last_user_at: dict[str, float] = field(default_factory=dict)
    #: per call: ``None`` delivers; a string makes Rasa answer 500 with it (the channel failed)
    failures: list[str | None] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer a tracker read or an append as Rasa would."""
        sender = request.url.path.split("/")[2]
        if request.method == "GET":
            stamp = self.last_user_at.get(sender)
            events = (
                [] if stamp is None else [{"event": "user", "text": "你好", "timestamp": stamp}]
            )
            return httpx.Response(200, json={"events": events})
        self.calls += 1
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            return httpx.Response(
                500, json={"message": f"An unexpected error occurred. Error: {failure}"}
            )
        for event in json.loads(request.content):
            self.delivered.append(
                {
                    "sender": sender,
                    "channel": request.url.params["output_channel"],
                    "text": event["text"],
                    **event["metadata"]["status_notice"],
                }
            )
        return httpx.Response(200, json={})


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Retries without waiting (the background worker is off: the tests run its rounds)."""
    return settings.model_copy(update={"notify_retry_seconds": 0})


@pytest.fixture
def rasa_fake() -> FakeRasa:
    """The fake Rasa."""
    return FakeRasa()


@pytest.fixture
def run_worker(
    settings: Settings, engine: Engine, clock: Clock, rasa_fake: FakeRasa
) -> Callable[[], int]:
    """Run one round of the outbox worker against the fake Rasa at the app's time."""
    rasa = RasaClient(settings, transport=httpx.MockTransport(rasa_fake.handle))
    factory = sessionmaker(engine, expire_on_commit=False)
    return lambda: deliver_due(factory, rasa, settings=settings, now=clock.now)


def submit_from(client: TestClient, channel: str, sender: str) -> str:
    """Submit a housing request as the bot does for a user on ``channel``."""
    body = {**payloads.housing(), "channel": channel, "sender_id": sender}
    response = client.post("/api/v1/requests", json=body, headers={"Idempotency-Key": sender})
    assert response.status_code == 201, response.text
    return str(response.json()["number"])


def move(client: TestClient, number: str, status: str) -> None:
    """Move a request as a signed-in agent."""
    response = client.post(f"/api/v1/requests/{number}/status", json={"status": status})
    assert response.status_code == 200, response.text


def rows(session: Session) -> list[Notification]:
    """Every outbox row, oldest first, as stored now."""
    session.expire_all()
    return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_each_status_change_owes_exactly_one_update(client: TestClient, session: Session) -> None:
    number = submit_from(client, "wechat", "oWx-1")
    for status in ("accepted", "in_progress", "completed"):
        move(client, number, status)
    again = client.post(f"/api/v1/requests/{number}/status", json={"status": "completed"})
    assert again.status_code == 409
    assert [(r.status, r.state, r.channel) for r in rows(session)] == [
        ("accepted", "pending", "wechat"),
        ("in_progress", "pending", "wechat"),
        ("completed", "pending", "wechat"),
    ]


def test_a_cancellation_by_the_applicant_owes_nothing(client: TestClient, session: Session) -> None:
    number = submit_from(client, "wechat", "oWx-2")
    cancelled = client.post(f"/api/v1/requests/{number}/cancel", json={"phone_last4": "5678"})
    assert cancelled.status_code == 200
    assert rows(session) == []


@pytest.mark.parametrize(
    ("hours_ago", "via"), [(1, "cs"), (47.5, "cs"), (49, "template"), (None, "template")]
)
def test_wechat_uses_the_window_then_the_template(
    client: TestClient,
    session: Session,
    clock: Clock,
    rasa_fake: FakeRasa,
    run_worker: Callable[[], int],
    hours_ago: float | None,
    via: str,
) -> None:
    number = submit_from(client, "wechat", "oWx-3")
    if hours_ago is not None:
        rasa_fake.last_user_at["oWx-3"] = (clock.now - timedelta(hours=hours_ago)).timestamp()
    move(client, number, "accepted")
    assert run_worker() == 1
    assert run_worker() == 0  # nothing is sent twice
    [sent] = rasa_fake.delivered
    assert (sent["sender"], sent["channel"], sent["via"]) == ("oWx-3", "wechat", via)
    assert sent["number"] == number and sent["status_label"] == "已受理"
    assert number in sent["text"] and "不用通知我" in sent["text"]
    [row] = rows(session)
    assert (row.state, row.via, row.attempts) == ("delivered", via, 1)


def test_a_web_user_who_is_away_gets_it_at_the_next_visit(
    client: TestClient,
    session: Session,
    clock: Clock,
    rasa_fake: FakeRasa,
    run_worker: Callable[[], int],
) -> None:
    number = submit_from(client, "socketio", "web-user-7")
    move(client, number, "accepted")
    rasa_fake.failures = ["status notice: recipient_away"]
    assert run_worker() == 0
    [row] = rows(session)
    assert row.state == "awaiting_visit" and rasa_fake.calls == 1  # away is not a failure
    assert run_worker() == 0 and rasa_fake.calls == 1  # not due again yet
    clock.now += timedelta(seconds=10)
    assert run_worker() == 1
    [sent] = rasa_fake.delivered
    assert (sent["channel"], sent["via"]) == ("socketio", "visit")
    assert rows(session)[0].state == "delivered"


def test_a_push_that_keeps_failing_is_retried_then_listed(
    client: TestClient,
    session: Session,
    settings: Settings,
    rasa_fake: FakeRasa,
    run_worker: Callable[[], int],
) -> None:
    number = submit_from(client, "wechat", "oWx-4")
    move(client, number, "accepted")
    rasa_fake.failures = ["errcode 45015"] * settings.notify_attempts
    assert run_worker() == 0
    assert rasa_fake.calls == settings.notify_attempts and rasa_fake.delivered == []
    [row] = rows(session)
    assert (row.state, row.attempts) == ("failed", settings.notify_attempts)
    assert "errcode 45015" in (row.last_error or "")
    assert run_worker() == 0 and rasa_fake.calls == settings.notify_attempts  # listed, not looped


def test_a_push_that_fails_once_is_delivered_by_the_retry(
    client: TestClient, session: Session, rasa_fake: FakeRasa, run_worker: Callable[[], int]
) -> None:
    number = submit_from(client, "wechat", "oWx-5")
    move(client, number, "accepted")
    rasa_fake.failures = ["cannot connect"]
    assert run_worker() == 1
    assert rasa_fake.calls == 2 and len(rasa_fake.delivered) == 1
    assert (rows(session)[0].state, rows(session)[0].attempts) == ("delivered", 2)


def test_an_unreachable_rasa_fails_and_is_listed(
    client: TestClient, session: Session, settings: Settings, engine: Engine, clock: Clock
) -> None:
    number = submit_from(client, "socketio", "web-user-8")
    move(client, number, "accepted")
    nowhere = settings.model_copy(update={"rasa_port": 9, "rasa_timeout_seconds": 0.5})
    factory = sessionmaker(engine, expire_on_commit=False)
    assert deliver_due(factory, RasaClient(nowhere), settings=nowhere, now=clock.now) == 0
    [row] = rows(session)
    assert (row.state, row.attempts) == ("failed", settings.notify_attempts)


def test_opting_out_drops_owed_updates_and_later_ones(
    client: TestClient, session: Session, rasa_fake: FakeRasa, run_worker: Callable[[], int]
) -> None:
    number = submit_from(client, "wechat", "oWx-6")
    other = submit_from(client, "wechat", "oWx-someone-else")
    move(client, number, "accepted")
    move(client, other, "accepted")
    said = client.post(
        "/api/v1/notifications/opt-out", json={"channel": "wechat", "sender_id": "oWx-6"}
    )
    assert said.status_code == 200 and said.json() == {"opted_out": True, "dropped": 1}
    again = client.post(
        "/api/v1/notifications/opt-out", json={"channel": "wechat", "sender_id": "oWx-6"}
    )
    assert again.json() == {"opted_out": True, "dropped": 0}
    move(client, number, "in_progress")
    assert run_worker() == 1
    assert [d["sender"] for d in rasa_fake.delivered] == ["oWx-someone-else"]
    states = {(r.request_id, r.status): r.state for r in rows(session)}
    assert sorted(states.values()) == ["delivered", "opted_out", "opted_out"]


def test_opt_out_needs_the_action_servers_token(client: TestClient, session: Session) -> None:
    body = {"channel": "wechat", "sender_id": "oWx-7"}
    wrong = client.post(
        "/api/v1/notifications/opt-out", json=body, headers={"Authorization": "Bearer wrong"}
    )
    assert wrong.status_code == 401
    client.headers.pop("Authorization")
    agent_only = client.post("/api/v1/notifications/opt-out", json=body)
    assert agent_only.status_code == 403  # an agent's session is the wrong scope


@pytest.mark.parametrize("channel", ["hotline", "rest"])
def test_a_channel_that_cannot_push_goes_to_the_callback_list(
    client: TestClient,
    session: Session,
    rasa_fake: FakeRasa,
    run_worker: Callable[[], int],
    channel: str,
) -> None:
    number = submit_from(client, channel, f"{channel}-caller-1")
    move(client, number, "accepted")
    assert run_worker() == 0 and rasa_fake.calls == 0
    assert [r.state for r in rows(session)] == ["callback"]
