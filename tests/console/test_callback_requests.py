"""Callback requests: a fourth request kind, left by chat users when nobody can chat."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.console.conftest import MakeAgent


def callback(**changes: Any) -> dict[str, Any]:
    """A callback request as the action server sends it."""
    body: dict[str, Any] = {
        "kind": "callback",
        "applicant": {"name": "王先生", "phone": "13812345678"},
        "channel": "socketio",
        "sender_id": "web-42",
        "consent": {
            "notice_version": "2026-11-27.callback.v1",
            "agreed_at": "2026-11-27T09:58:00+08:00",
        },
        "details": {
            "team": "schooling",
            "topic": "school_policy",
            "preferred_time": "工作日上午",
            "note": "用户咨询“孩子转学要什么材料”后请求人工服务，电话 13812345678。",
        },
    }
    body.update(changes)
    return body


def post(bot_api: TestClient, body: dict[str, Any]) -> Any:
    """Create a request as the bot does."""
    return bot_api.post(
        "/api/v1/requests", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
    )


def test_a_callback_gets_a_cb_number_and_masked_details(bot_api: TestClient) -> None:
    response = post(bot_api, callback())
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["number"].startswith("CB20261127-")
    assert created["details"]["note"].endswith("电话 138****5678。")
    assert created["applicant"] == {"name": "王**", "phone": "138****5678", "id_number": None}


def test_a_callback_takes_no_id_number_and_needs_its_own_notice(bot_api: TestClient) -> None:
    with_id = callback(
        applicant={"name": "王先生", "phone": "13812345678", "id_number": "11010519491231002X"}
    )
    assert post(bot_api, with_id).status_code == 422
    housing_notice = callback(
        consent={
            "notice_version": "2026-11-27.housing.v1",
            "agreed_at": "2026-11-27T09:58:00+08:00",
        }
    )
    assert post(bot_api, housing_notice).json()["error"]["code"] == "consent_required"


def test_the_team_named_in_a_callback_sees_it(bot_api: TestClient, make_agent: MakeAgent) -> None:
    number = post(bot_api, callback()).json()["number"]
    schooling = make_agent("wang", teams=("schooling",))
    housing = make_agent("li", teams=("housing",))
    assert [r["number"] for r in schooling.get("/console/api/requests").json()] == [number]
    assert housing.get("/console/api/requests").json() == []
    revealed = schooling.post(f"/console/api/requests/{number}/contact")
    assert revealed.json()["phone"] == "13812345678"  # to call back; the look is recorded
