"""Handoff actions: what they offer, what they hand over, and how the bot carries on."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from rasa_sdk import Tracker

from actions.fallback import ActionHandleFallback
from actions.handoff import (
    ActionDeclineHandoff,
    ActionOfferHandoff,
    ActionResumeAfterHandoff,
    ActionStartHandoff,
    conversation_topic,
    failed_turns_before,
    interrupted_form,
    recent_lines,
)
from tests.actions.conftest import BACKEND_PYTHON, ROOT, make_tracker, texts

PASSWORD = "handoff-test-secret"


def user(text: str, intent: str = "inform", channel: str = "rest") -> dict[str, Any]:
    """A user event as Rasa sends it to the action server."""
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent}},
        "input_channel": channel,
    }


def not_sure() -> dict[str, Any]:
    """The bot's "I am not sure" reply."""
    return {
        "event": "bot",
        "text": "这个问题我不太确定",
        "metadata": {"utter_action": "utter_not_sure"},
    }


def tracker_with(
    events: list[dict[str, Any]], slots: dict[str, Any] | None = None, **kw: Any
) -> Tracker:
    """A tracker whose history is ``events``."""
    tracker = make_tracker(slots, **kw)
    tracker.events = events
    return tracker


def test_the_form_a_handoff_interrupts_is_remembered() -> None:
    events = [
        {"event": "active_loop", "name": "housing_form"},
        user("渝北"),
        user("转人工", "human_handoff"),
        {"event": "active_loop", "name": None},
    ]
    assert interrupted_form(events) == "housing_form"
    assert interrupted_form(events[:3]) is None  # not deactivated this turn
    assert interrupted_form([{"event": "active_loop", "name": None}, user("转人工")]) is None


def test_the_topic_comes_from_the_form_or_the_last_telling_question() -> None:
    events = [
        user("人才公寓租金多少", "ask_housing_policy"),
        user("谢谢", "thanks"),
        user("转人工", "human_handoff"),
    ]
    assert conversation_topic(events, None) == "housing_policy"
    assert conversation_topic(events, "hospital_form") == "hospital_book"
    assert conversation_topic([user("你好", "greet")], None) == "general_service"


def test_two_unsure_answers_in_a_row_count_as_failing_twice() -> None:
    assert failed_turns_before([user("a"), not_sure(), user("b")]) == 1
    assert failed_turns_before([user("a"), not_sure(), user("ok"), user("b")]) == 0
    offered = {"event": "action", "name": "action_offer_handoff"}
    assert failed_turns_before([user("a"), not_sure(), offered, user("b")]) == 0


def test_recent_lines_mask_numbers_and_skip_payloads() -> None:
    lines = recent_lines(
        [user("我电话13812345678"), user("/affirm"), {"event": "bot", "text": "好的"}]
    )
    assert lines == [
        {"speaker": "user", "text": "我电话138****5678"},
        {"speaker": "bot", "text": "好的"},
    ]


@pytest.mark.asyncio
async def test_the_second_unsure_answer_offers_a_person(dispatcher: Any, domain: Any) -> None:
    tracker = tracker_with(
        [user("阿巴阿巴", "nlu_fallback"), not_sure(), user("咕噜咕噜嘎嘎", "nlu_fallback")],
        text="咕噜咕噜嘎嘎",
        intent="nlu_fallback",
    )
    events = await ActionHandleFallback().run(dispatcher, tracker, domain)
    assert [e["event"] for e in events] == ["rewind", "slot", "followup"]
    assert events[-1]["name"] == "action_offer_handoff"
    assert dispatcher.messages == []


@pytest.mark.asyncio
async def test_with_nobody_online_a_callback_is_offered(
    client_settings: None, dispatcher: Any, domain: Any
) -> None:
    tracker = tracker_with(
        [
            user("人才公寓租金多少", "ask_housing_policy", "socketio"),
            user("转人工", "human_handoff", "socketio"),
        ]
    )
    events = await ActionOfferHandoff().run(dispatcher, tracker, domain)
    slots = {e["name"]: e["value"] for e in events}
    assert dispatcher.messages[0]["response"] == "utter_handoff_no_agent"
    assert dispatcher.messages[0]["handoff_hours"] == "每天 0:00–24:00"
    assert slots["handoff_mode"] == "callback" and slots["handoff_team"] == "housing"
    start = await ActionStartHandoff().run(
        dispatcher, make_tracker({"handoff_mode": "callback"}), domain
    )
    assert start == [{"event": "followup", "name": "callback_form", "timestamp": None}]


@pytest.mark.asyncio
async def test_a_channel_that_cannot_carry_replies_offers_a_callback(
    client_settings: None, dispatcher: Any, domain: Any
) -> None:
    tracker = tracker_with([user("转人工", "human_handoff", "rest")])
    events = await ActionOfferHandoff().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_handoff_channel"
    assert {
        "event": "slot",
        "name": "handoff_mode",
        "value": "callback",
        "timestamp": None,
    } in events


@pytest.fixture
def online_agent(backend: dict[str, Any], client_settings: None) -> Iterator[requests.Session]:
    """An agent of the housing team with the console open."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{backend['db_path']}"}
    with sqlite3.connect(backend["db_path"]) as db:
        exists = db.execute("SELECT 1 FROM agent WHERE username = 'li'").fetchone()
    if not exists:
        subprocess.run(
            [
                str(BACKEND_PYTHON),
                "-m",
                "bot.backend.cli",
                "create-agent",
                "li",
                "--teams",
                "housing",
                "--password-stdin",
            ],
            cwd=ROOT,
            env=env,
            input=PASSWORD + "\n",
            text=True,
            check=True,
            capture_output=True,
        )
    browser = requests.Session()
    signed_in = browser.post(
        f"{backend['url']}/console/api/session", json={"username": "li", "password": PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text
    yield browser
    browser.delete(
        f"{backend['url']}/console/api/session",
        headers={"X-CSRF-Token": signed_in.json()["csrf_token"]},
    )


@pytest.mark.asyncio
async def test_a_person_is_offered_and_the_chat_queued_and_paused(
    online_agent: requests.Session, backend: dict[str, Any], dispatcher: Any, domain: Any
) -> None:
    events = [
        {"event": "active_loop", "name": "housing_form"},
        user("我想申请人才公寓", "request_housing", "socketio"),
        user("转人工", "human_handoff", "socketio"),
        {"event": "active_loop", "name": None},
    ]
    slots = {"district": "渝北区", "phone": "13812345678", "housing_type": "talent_apartment"}
    offered = await ActionOfferHandoff().run(dispatcher, tracker_with(events, slots), domain)
    set_now = {e["name"]: e["value"] for e in offered}
    assert set_now["handoff_mode"] == "live" and set_now["handoff_resume_form"] == "housing_form"
    assert dispatcher.messages[-1]["response"] == "utter_offer_handoff"
    sender = f"web-{os.getpid()}"
    tracker = tracker_with(events, {**slots, **set_now}, sender_id=sender)
    started = await ActionStartHandoff().run(dispatcher, tracker, domain)
    assert [e["event"] for e in started] == ["pause"]
    assert dispatcher.messages[-1]["response"] == "utter_handoff_queued"
    queue = online_agent.get(f"{backend['url']}/console/api/handoffs").json()["handoffs"]
    mine = [h for h in queue if h["summary"] == "用户在办理“人才住房申请”时请求人工服务。"]
    assert mine and mine[-1]["details"]["意向区县"] == "渝北区"
    assert mine[-1]["details"]["手机号"] == "138****5678" and mine[-1]["channel"] == "socketio"


@pytest.mark.asyncio
@pytest.mark.parametrize("action", [ActionDeclineHandoff(), ActionResumeAfterHandoff()])
async def test_the_bot_carries_on_with_the_interrupted_form(
    action: Any, dispatcher: Any, domain: Any
) -> None:
    tracker = make_tracker({"handoff_resume_form": "housing_form", "handoff_mode": "live"})
    events = await action.run(dispatcher, tracker, domain)
    assert events[-1] == {"event": "followup", "name": "housing_form", "timestamp": None}
    assert {
        "event": "slot",
        "name": "handoff_resume_form",
        "value": None,
        "timestamp": None,
    } in events
    assert texts(dispatcher)[-1] == "utter_handoff_continue_form"
