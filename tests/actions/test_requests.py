"""Status lookup and cancellation against the real backend over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import get_client
from actions.requests import (
    NOT_FOUND,
    ActionAskRequestNumber,
    ActionCancelRequest,
    ActionLookupRequest,
    ValidateCancelForm,
    ValidateStatusForm,
)
from tests.actions.conftest import make_tracker, texts


@pytest.fixture
def owned_request(client_settings: None) -> dict[str, Any]:
    """A housing request owned by the phone 13511112222."""
    client = get_client()
    notice = client.get_consent_notice("housing")
    return client.create_request(
        {
            "kind": "housing",
            "applicant": {
                "name": "陈晨",
                "phone": "13511112222",
                "id_number": "11010519491231002X",
            },
            "channel": "rest",
            "sender_id": "owner",
            "consent": {
                "notice_version": notice["version"],
                "agreed_at": "2026-11-27T10:00:00+08:00",
            },
            "details": {
                "housing_type": "youth_rental",
                "district": "江北区",
                "household_size": 1,
                "move_in_month": "2027-05",
            },
        },
        idempotency_key=f"owned-{id(object())}",
    )


@pytest.mark.asyncio
async def test_the_owner_sees_the_status(
    owned_request: dict[str, Any], dispatcher: Any, domain: Any
) -> None:
    tracker = make_tracker({"request_number": owned_request["number"], "phone_last4": "2222"})
    events = await ActionLookupRequest().run(dispatcher, tracker, domain)
    reply = texts(dispatcher)[0]
    assert owned_request["number"] in reply and "已提交" in reply
    assert {e["name"] for e in events} >= {"request_number", "phone_last4"}


@pytest.mark.asyncio
async def test_unknown_and_not_yours_read_the_same(
    owned_request: dict[str, Any], domain: Any
) -> None:
    replies = []
    for number, last4 in ((owned_request["number"], "9999"), ("HS20200101-0001", "2222")):
        dispatcher = CollectingDispatcher()
        await ActionLookupRequest().run(
            dispatcher, make_tracker({"request_number": number, "phone_last4": last4}), domain
        )
        replies.append(texts(dispatcher))
    assert replies[0] == replies[1] == [NOT_FOUND]


@pytest.mark.asyncio
async def test_cancel_form_refuses_a_wrong_phone_before_asking_to_confirm(
    owned_request: dict[str, Any], dispatcher: Any, domain: Any
) -> None:
    tracker = make_tracker(
        {"request_number": owned_request["number"]},
        text="0000",
        active_loop="cancel_form",
        set_this_turn={"phone_last4": "0000"},
    )
    events = await ValidateCancelForm().run(dispatcher, tracker, domain)
    slots = {e["name"]: e["value"] for e in events}
    assert slots["phone_last4"] is None and slots["request_number"] is None
    assert NOT_FOUND in texts(dispatcher)


@pytest.mark.asyncio
async def test_cancel_after_yes_and_not_after_no(
    owned_request: dict[str, Any], dispatcher: Any, domain: Any
) -> None:
    proof = {"request_number": owned_request["number"], "phone_last4": "2222"}
    await ActionCancelRequest().run(
        dispatcher, make_tracker({**proof, "cancel_confirmed": False}), domain
    )
    assert texts(dispatcher) == ["utter_cancel_kept"]
    assert get_client().lookup_request(owned_request["number"], "2222")["status"] == "submitted"

    await ActionCancelRequest().run(
        dispatcher, make_tracker({**proof, "cancel_confirmed": True}), domain
    )
    assert "已为您取消" in texts(dispatcher)[-1]
    assert get_client().lookup_request(owned_request["number"], "2222")["status"] == "cancelled"

    await ActionCancelRequest().run(
        dispatcher, make_tracker({**proof, "cancel_confirmed": True}), domain
    )
    assert texts(dispatcher)[-1].startswith("无法取消")


def test_times_are_shown_in_chongqing_time() -> None:
    from actions.requests import local_time

    assert local_time("2026-11-27T16:05:09+00:00") == "2026-11-28 00:05"
    assert local_time("2026-11-27T16:05:09Z") == "2026-11-28 00:05"


@pytest.mark.asyncio
async def test_a_lookup_remembers_the_number_for_the_next_cancel(
    owned_request: dict[str, Any], dispatcher: Any, domain: Any
) -> None:
    tracker = make_tracker({"request_number": owned_request["number"], "phone_last4": "2222"})
    events = await ActionLookupRequest().run(dispatcher, tracker, domain)
    assert {"event": "slot", "name": "last_request_number", "value": owned_request["number"]} in [
        {"event": e["event"], "name": e["name"], "value": e["value"]} for e in events
    ]


@pytest.mark.asyncio
async def test_the_number_seen_earlier_is_offered_not_assumed(domain: Any) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({"last_request_number": "HS20261127-0001"}, active_loop="cancel_form")
    assert await ActionAskRequestNumber().run(dispatcher, tracker, domain) == []
    [message] = dispatcher.messages
    assert message["text"].startswith("是刚才的 HS20261127-0001 吗？")
    assert "编号" in message["text"]
    assert '/inform{"request_number": "HS20261127-0001"}' in [
        b["payload"] for b in message["buttons"]
    ]
    plain = CollectingDispatcher()
    await ActionAskRequestNumber().run(plain, make_tracker(active_loop="cancel_form"), domain)
    assert texts(plain) == ["utter_ask_request_number"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "intent", "number", "last"),
    [
        ("是的", "affirm", "HS20261127-0001", "HS20261127-0001"),
        ("对", "inform", "HS20261127-0001", "HS20261127-0001"),
        ("不是", "deny", None, None),
        ("SC20261128-0002", "inform", "SC20261128-0002", "SC20261128-0002"),
    ],
)
async def test_a_yes_takes_the_offered_number_and_a_no_asks_for_it(
    domain: Any, text: str, intent: str, number: str | None, last: str | None
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        {"last_request_number": "HS20261127-0001"},
        text=text,
        intent=intent,
        active_loop="status_form",
        set_this_turn={"request_number": text, "requested_slot": "request_number"},
    )
    events = await ValidateStatusForm().run(dispatcher, tracker, domain)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["request_number"] == number
    assert slots.get("last_request_number", "HS20261127-0001") == last
    assert slots.get("phone_last4") is None  # the proof is still asked for
