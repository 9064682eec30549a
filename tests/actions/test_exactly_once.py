"""Exactly once: the key is fixed at the read-back, retries (automatic or "重试") reuse it."""

from __future__ import annotations

from typing import Any

import pytest

from actions.submission import ActionAskRequestConfirmed, ActionRetrySubmission, ActionSubmitRequest
from tests.actions.conftest import make_tracker, texts
from tests.actions.test_submission import (
    count_requests,
    housing_slots,
    point_actions_at,
    slot_events,
)
from tests.faults.proxy import fault_proxy


@pytest.mark.asyncio
async def test_the_read_back_fixes_the_key_once(
    client_settings: None, backend: dict[str, Any], dispatcher: Any, domain: Any
) -> None:
    asking = make_tracker(
        housing_slots(request_confirmed=None), active_loop="housing_form", sender_id="web-1"
    )
    events = await ActionAskRequestConfirmed().run(dispatcher, asking, domain)
    key = slot_events(events)["idempotency_key"]
    assert key.startswith("web-1:") and len(key) > 20
    # shown again (after a change): the key stays what it was
    again = make_tracker(
        housing_slots(request_confirmed=None, idempotency_key=key), active_loop="housing_form"
    )
    assert await ActionAskRequestConfirmed().run(dispatcher, again, domain) == []


@pytest.mark.asyncio
async def test_a_lost_answer_is_retried_with_the_same_key_and_makes_one_request(
    client_settings: None,
    backend: dict[str, Any],
    dispatcher: Any,
    domain: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slots = housing_slots(phone="13900002222", idempotency_key="web-lost:fixed-at-read-back")
    before = count_requests(backend["db_path"])
    with fault_proxy(backend["port"]) as proxy:
        point_actions_at(monkeypatch, f"http://127.0.0.1:{proxy.port}")
        proxy.set_mode("drop_responses", drop_limit=1)  # the backend commits, the answer is lost
        events = await ActionSubmitRequest().run(dispatcher, make_tracker(slots), domain)
    assert proxy.drops == 1
    number = slot_events(events)["last_request_number"]
    assert number in texts(dispatcher)[0]
    assert count_requests(backend["db_path"]) == before + 1


@pytest.mark.asyncio
async def test_retry_after_the_action_server_died_reuses_the_key(
    client_settings: None, backend: dict[str, Any], dispatcher: Any, domain: Any
) -> None:
    # the first submit reached the backend, but its events never reached Rasa:
    # the conversation still holds the confirmed details and the read-back's key
    slots = housing_slots(phone="13900003333", idempotency_key="web-died:fixed-at-read-back")
    first = slot_events(await ActionSubmitRequest().run(dispatcher, make_tracker(slots), domain))
    before = count_requests(backend["db_path"])
    retried = slot_events(
        await ActionRetrySubmission().run(dispatcher, make_tracker(slots, text="重试"), domain)
    )
    assert retried["last_request_number"] == first["last_request_number"]
    assert count_requests(backend["db_path"]) == before


@pytest.mark.asyncio
async def test_retry_with_nothing_confirmed_sends_nothing(
    client_settings: None, backend: dict[str, Any], dispatcher: Any, domain: Any
) -> None:
    slots = housing_slots(request_confirmed=None, idempotency_key="web-unconfirmed:key")
    before = count_requests(backend["db_path"])
    assert await ActionRetrySubmission().run(dispatcher, make_tracker(slots), domain) == []
    assert texts(dispatcher) == ["utter_nothing_to_retry"]
    assert count_requests(backend["db_path"]) == before
