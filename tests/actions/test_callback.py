"""Leaving a callback request: the answers are checked, the request created once."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from actions import backend_client
from actions.callback import ActionAskCallbackConsent, ActionSubmitCallback, ValidateCallbackForm
from tests.actions.conftest import make_tracker, texts

FORM = ValidateCallbackForm()


@pytest.mark.parametrize(
    ("slot", "value", "expected"),
    [
        ("callback_name", "王先生", "王先生"),
        ("callback_name", "王先生2号", None),
        ("callback_phone", "我的电话 138-1234-5678", "13812345678"),
        ("callback_phone", "12345", None),
        ("callback_time", "都可以", "服务时间内均可"),
        ("callback_time", "明天上午十点以后", "明天上午十点以后"),
        ("callback_time", "😀😀", None),
    ],
)
def test_answers_are_checked(slot: str, value: str, expected: str | None, dispatcher: Any) -> None:
    validate = getattr(FORM, f"validate_{slot}")
    result = validate(value, dispatcher, make_tracker(), {})
    assert result[slot] == expected
    assert bool(dispatcher.messages) is (expected is None)  # a reason when refused


@pytest.mark.asyncio
async def test_the_notice_is_shown_before_anything_is_asked(
    client_settings: None, dispatcher: Any, domain: Any
) -> None:
    events = await ActionAskCallbackConsent().run(dispatcher, make_tracker(), domain)
    assert "人工回电登记个人信息告知书" in texts(dispatcher)[0]
    assert events[0]["name"] == "callback_notice_version" and events[0]["value"].endswith(
        "callback.v1"
    )


@pytest.mark.asyncio
async def test_a_callback_request_is_created_once_for_the_team(
    client_settings: None, backend: dict[str, Any], dispatcher: Any, domain: Any
) -> None:
    consent = FORM.validate_callback_consent(True, dispatcher, make_tracker(), domain)
    slots = {
        **consent,
        "callback_notice_version": "2026-11-27.callback.v1",
        "callback_name": "王先生",
        "callback_phone": "13812345678",
        "callback_time": "工作日上午",
        "handoff_topic": "school_policy",
        "handoff_team": "schooling",
        "handoff_hours": "周一至周五 9:00–17:30",
    }
    tracker = make_tracker(slots, sender_id="web-callback", channel="socketio")
    first = await ActionSubmitCallback().run(dispatcher, tracker, domain)
    again = await ActionSubmitCallback().run(CollectingLike(), tracker, domain)
    reply = texts(dispatcher)[-1]
    assert reply.startswith("已为您登记回电，编号 CB") and "138****5678" in reply
    assert "周一至周五 9:00–17:30" in reply
    assert "最早" not in reply  # people answer round the clock there: no later time to promise
    assert {e["name"] for e in first if e["event"] == "slot"} >= {"callback_phone", "handoff_team"}
    assert first == again
    with sqlite3.connect(backend["db_path"]) as db:
        rows = db.execute(
            "SELECT kind, channel, sender_id, details FROM service_request"
            " WHERE sender_id = 'web-callback'"
        ).fetchall()
    assert len(rows) == 1
    kind, channel, _sender, details = rows[0]
    assert (kind, channel) == ("callback", "socketio")
    assert '"team":"schooling"' in details and "工作日上午" in details


@pytest.mark.asyncio
async def test_the_promise_names_the_first_working_hour_after_a_holiday(
    client_settings: None, dispatcher: Any, domain: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # what the backend answers on 国庆节 2026 (tests/backend/test_service_hours.py computes it
    # from the calendar); the action only has to pass it on
    on_national_day = {
        "available": False,
        "reason": "outside_hours",
        "hours": "工作日 9:00–17:30",
        "team": "housing",
        "next_open": "2026-10-08T09:00:00+08:00",
        "next_open_text": "10月8日（周四）9:00",
    }
    asked: list[tuple[str, str]] = []

    def availability(_client: Any, topic: str, channel: str) -> dict[str, Any]:
        asked.append((topic, channel))
        return on_national_day

    monkeypatch.setattr(backend_client.BackendClient, "handoff_availability", availability)
    consent = FORM.validate_callback_consent(True, dispatcher, make_tracker(), domain)
    slots = {
        **consent,
        "callback_notice_version": "2026-11-27.callback.v1",
        "callback_name": "李女士",
        "callback_phone": "13912345678",
        "callback_time": "都可以",
        "handoff_topic": "housing_policy",
        "handoff_team": "housing",
        "handoff_hours": "工作日 9:00–17:30",
    }
    tracker = make_tracker(slots, sender_id="holiday-callback", channel="socketio")
    await ActionSubmitCallback().run(dispatcher, tracker, domain)
    reply = texts(dispatcher)[-1]
    assert reply.startswith("已为您登记回电，编号 CB"), reply
    assert "服务时间（工作日 9:00–17:30）" in reply and "最早在10月8日（周四）9:00" in reply
    assert asked == [("housing_policy", "socketio")]


@pytest.mark.asyncio
async def test_without_consent_nothing_is_sent(dispatcher: Any, domain: Any) -> None:
    events = await ActionSubmitCallback().run(
        dispatcher, make_tracker({"callback_consent": False}), domain
    )
    assert texts(dispatcher) == ["utter_callback_cancelled"]
    assert all(e["value"] is None for e in events)


class CollectingLike:
    """A second dispatcher for the retry, whose words do not matter here."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def utter_message(self, **kwargs: Any) -> None:
        """Collect a message."""
        self.messages.append(kwargs)
