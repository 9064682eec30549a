"""Status updates staff act on: the callback list and failed pushes, each within scope."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.backend.notifications.models import Notification
from tests.backend import payloads
from tests.console.conftest import MakeAgent
from tests.console.test_console_requests import hotline_housing, submit


def web_request(bot_api: TestClient, kind: str = "schooling") -> str:
    """A request a web-chat user made."""
    body = {**getattr(payloads, kind)(), "channel": "socketio", "sender_id": "web-user-3"}
    response = bot_api.post(
        "/api/v1/requests", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["number"])


def listed(agent: Any, which: str) -> list[dict[str, Any]]:
    """The agent's view of one list."""
    response = agent.get("/console/api/notifications", params={"which": which})
    assert response.status_code == 200, response.text
    return list(response.json())


def test_a_hotline_callers_status_change_is_a_callback_for_the_team(
    make_agent: MakeAgent, session: Session
) -> None:
    li = make_agent("li", teams=("housing",))
    wang = make_agent("wang", teams=("schooling",))
    number = submit(li, hotline_housing()).json()["request"]["number"]
    moved = li.post(f"/console/api/requests/{number}/status", json={"status": "accepted"})
    assert moved.status_code == 200, moved.text

    [owed] = listed(li, "callback")
    assert (owed["number"], owed["status_label"], owed["channel_label"]) == (
        number,
        "已受理",
        "热线",
    )
    assert listed(wang, "callback") == []  # another team's caller
    assert wang.post(f"/console/api/notifications/{owed['id']}/called").status_code == 404

    done = li.post(f"/console/api/notifications/{owed['id']}/called")
    assert done.status_code == 200 and done.json()["state"] == "called"
    assert listed(li, "callback") == []
    again = li.post(f"/console/api/notifications/{owed['id']}/called")
    assert again.status_code == 409


def test_a_failed_push_is_listed_and_can_be_sent_again(
    make_agent: MakeAgent, bot_api: TestClient, session: Session
) -> None:
    wang = make_agent("wang", teams=("schooling",))
    li = make_agent("li", teams=("housing",))
    number = web_request(bot_api)
    moved = wang.post(f"/console/api/requests/{number}/status", json={"status": "accepted"})
    assert moved.status_code == 200, moved.text
    session.execute(
        update(Notification).values(state="failed", attempts=3, last_error="Rasa 未能送达")
    )
    session.commit()

    [failed] = listed(wang, "failed")
    assert (failed["number"], failed["channel_label"], failed["attempts"]) == (number, "网页", 3)
    assert failed["last_error"] == "Rasa 未能送达"
    assert listed(li, "failed") == []

    queued = wang.post(f"/console/api/notifications/{failed['id']}/retry")
    assert queued.status_code == 200 and queued.json()["state"] == "pending"
    assert listed(wang, "failed") == []
    session.expire_all()
    row = session.get(Notification, failed["id"])
    assert row is not None and row.handled_by == "agent:wang"


def test_changing_a_notice_needs_the_csrf_token(make_agent: MakeAgent) -> None:
    li = make_agent("li", teams=("housing",))
    number = submit(li, hotline_housing()).json()["request"]["number"]
    li.post(f"/console/api/requests/{number}/status", json={"status": "accepted"})
    [owed] = listed(li, "callback")
    forged = li.client.post(f"/console/api/notifications/{owed['id']}/called")
    assert forged.status_code == 403
