"""The handoff queue: who can take a chat, when, and how it is shared between agents."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.backend.config import Settings
from bot.backend.handoffs.service import user_messages_since_pause
from bot.backend.handoffs.sweeper import sweep_once
from bot.backend.rasa_client import RasaClient
from tests.backend.conftest import FIXED_NOW, Clock
from tests.console.conftest import MakeAgent

WAIT = timedelta(minutes=10)


def queue_chat(bot_api: TestClient, sender: str = "web-1", topic: str = "housing_policy") -> Any:
    """Hand a chat over as the action server does."""
    return bot_api.post(
        "/api/v1/handoffs",
        json={
            "sender_id": sender,
            "channel": "socketio",
            "topic": topic,
            "summary": "用户咨询“人才公寓租金多少”后请求人工服务。",
            "details": {"district": "渝北区", "phone": "138****5678"},
            "recent": [{"speaker": "user", "text": "人才公寓租金多少"}],
        },
    )


def availability(
    bot_api: TestClient, topic: str = "housing_policy", channel: str = "socketio"
) -> dict[str, Any]:
    """Ask as the bot does before offering a person."""
    params = {"topic": topic, "channel": channel}
    return dict(bot_api.get("/api/v1/handoffs/availability", params=params).json())


def test_nobody_online_means_no_person_and_no_queue(bot_api: TestClient) -> None:
    assert availability(bot_api) == {
        "available": False,
        "reason": "no_agent",
        "hours": "每天 0:00–24:00",
        "team": "housing",
        "next_open": "2026-11-27T10:00:00+08:00",  # people answer now (the frozen clock)
        "next_open_text": "",
    }
    refused = queue_chat(bot_api)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "handoff_unavailable"


def test_only_an_agent_of_the_team_or_a_supervisor_counts(
    bot_api: TestClient, make_agent: MakeAgent
) -> None:
    make_agent("wang", teams=("schooling",))
    assert availability(bot_api)["available"] is False
    assert availability(bot_api, "school_policy")["available"] is True
    make_agent("zhao", role="supervisor")
    assert availability(bot_api)["available"] is True


def test_a_channel_that_cannot_push_replies_gets_no_person(
    bot_api: TestClient, make_agent: MakeAgent
) -> None:
    make_agent("li", teams=("housing",))
    assert availability(bot_api, channel="rest")["reason"] == "channel"
    refused = bot_api.post(
        "/api/v1/handoffs",
        json={"sender_id": "curl-1", "channel": "rest", "topic": "housing_policy"},
    )
    assert refused.status_code == 409 and refused.json()["error"]["fields"]["reason"] == "channel"


def test_an_agent_who_left_the_console_open_too_long_is_not_online(
    bot_api: TestClient, make_agent: MakeAgent, clock: Clock
) -> None:
    li = make_agent("li", teams=("housing",))
    assert availability(bot_api)["available"] is True
    clock.now += timedelta(seconds=61)
    assert availability(bot_api)["available"] is False
    li.get("/console/api/handoffs")  # the console polls: online again
    assert availability(bot_api)["available"] is True


def test_outside_service_hours_nobody_is_offered(
    ready_database_url: str, clock: Clock, make_agent: MakeAgent
) -> None:
    from bot.backend.main import create_app
    from tests.backend.conftest import ID_KEY, TOKEN

    closed = create_app(
        Settings(
            database_url=ready_database_url,
            backend_api_token=TOKEN,
            id_number_key=ID_KEY,
            service_hours="sat 09:00-12:00",
        )
    )
    closed.state.clock = clock  # Friday 10:00 in Chongqing
    with TestClient(closed, headers={"Authorization": f"Bearer {TOKEN}"}) as bot:
        found = bot.get("/api/v1/handoffs/availability").json()
    assert found["available"] is False and found["reason"] == "outside_hours"
    assert found["hours"] == "周六 9:00–12:00"


def test_a_chat_is_queued_once_and_seen_by_its_team(
    bot_api: TestClient, make_agent: MakeAgent
) -> None:
    housing = make_agent("li", teams=("housing",))
    schooling = make_agent("wang", teams=("schooling",))
    first, again = queue_chat(bot_api), queue_chat(bot_api)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["position"] == 1
    queue = housing.get("/console/api/handoffs").json()["handoffs"]
    assert [(h["topic_label"], h["status"], h["details"]["意向区县"]) for h in queue] == [
        ("住房政策", "waiting", "渝北区")
    ]
    assert queue[0]["recent"] == [{"speaker": "user", "text": "人才公寓租金多少"}]
    assert schooling.get("/console/api/handoffs").json()["handoffs"] == []
    handoff_id = queue[0]["id"]
    assert schooling.get(f"/console/api/handoffs/{handoff_id}").status_code == 404
    assert schooling.post(f"/console/api/handoffs/{handoff_id}/claim").status_code == 404


def test_a_second_chat_waits_behind_the_first(bot_api: TestClient, make_agent: MakeAgent) -> None:
    make_agent("li", teams=("housing",))
    queue_chat(bot_api, "web-1")
    assert queue_chat(bot_api, "web-2").json()["position"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {"sender_id": "", "channel": "socketio"},
        {"sender_id": "x", "channel": "Socket IO"},
        {"sender_id": "x", "channel": "socketio", "summary": "a\u202eb"},
        {"sender_id": "x", "channel": "socketio", "password": "hunter2"},
    ],
)
def test_bad_handoffs_are_refused(bot_api: TestClient, body: dict[str, Any]) -> None:
    assert bot_api.post("/api/v1/handoffs", json=body).status_code == 422


def test_the_bot_side_needs_the_backend_token(app: FastAPI) -> None:
    with TestClient(app) as anonymous:
        assert anonymous.get("/api/v1/handoffs/availability").status_code == 401


def test_only_messages_after_the_pause_reach_the_agent() -> None:
    events = [
        {"event": "user", "text": "我的身份证是 11010519491231002X"},
        {"event": "action", "name": "action_start_handoff"},
        {"event": "pause"},
        {"event": "user", "text": "你好，在吗", "timestamp": 1764237600.0},
        {"event": "bot", "text": "您好，我是人工客服"},
        {"event": "user", "text": None, "metadata": {"is_external": True}},
        {"event": "user", "text": "想问租金", "timestamp": 1764237660.0},
    ]
    assert user_messages_since_pause(events[:2], 0) == ([], 0)  # not paused yet: wait
    found, offset = user_messages_since_pause(events, 0)
    assert [(i, t) for i, t, _ in found] == [(3, "你好，在吗"), (6, "想问租金")]
    assert offset == 7
    assert user_messages_since_pause(events, offset) == ([], 7)


def recording_rasa(
    settings: Settings, calls: list[httpx.Request], *, up: bool = True
) -> RasaClient:
    """Rasa's HTTP API as the sweeper sees it: every call recorded, answered or refused."""

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if not up:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"events": []})

    return RasaClient(settings, transport=httpx.MockTransport(answer))


def test_a_chat_nobody_claims_goes_back_to_the_bot(
    app: FastAPI, bot_api: TestClient, make_agent: MakeAgent, settings: Settings
) -> None:
    li = make_agent("li", teams=("housing",))
    handoff_id = queue_chat(bot_api, "web-waiting").json()["id"]
    calls: list[httpx.Request] = []
    factory = app.state.session_factory
    later = FIXED_NOW + timedelta(minutes=9)
    assert sweep_once(factory, recording_rasa(settings, calls), now=later, wait=WAIT) == 0
    down = recording_rasa(settings, calls, up=False)
    much_later = FIXED_NOW + timedelta(minutes=11)
    assert sweep_once(factory, down, now=much_later, wait=WAIT) == 0  # retried next round
    assert sweep_once(factory, recording_rasa(settings, calls), now=much_later, wait=WAIT) == 1
    sent = calls[-1]
    assert sent.url.path == "/conversations/web-waiting/tracker/events"
    assert sent.url.params["execute_side_effects"] == "true"
    assert sent.url.params["output_channel"] == "latest"
    events = json.loads(sent.content)
    assert [e["event"] for e in events] == ["bot", "resume", "action"]
    assert "没能及时接入" in events[0]["text"]
    assert li.get("/console/api/handoffs").json()["handoffs"] == []
    assert sweep_once(factory, recording_rasa(settings, calls), now=much_later, wait=WAIT) == 0
    assert bot_api.get(f"/console/api/handoffs/{handoff_id}").status_code == 401  # not the bot's
