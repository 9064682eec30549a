""" "不用通知我": the action records the opt-out in the real backend, or apologises."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.notifications import NOT_SAVED, OPTED_OUT, ActionOptOutNotifications
from tests.actions.conftest import make_tracker, texts


def opt_outs(db_path: Any) -> list[tuple[str, str]]:
    """The stored opt-outs: (channel, sender_id)."""
    with sqlite3.connect(db_path) as conn:
        return list(conn.execute("SELECT channel, sender_id FROM notification_opt_out"))


@pytest.mark.asyncio
async def test_the_opt_out_is_stored_for_this_conversation(
    client_settings: None, backend: dict[str, Any], domain: Any
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="不用通知我", intent="opt_out_notifications", channel="wechat", sender_id="oWx-act"
    )
    assert await ActionOptOutNotifications().run(dispatcher, tracker, domain) == []
    assert texts(dispatcher) == [OPTED_OUT]
    assert ("wechat", "oWx-act") in opt_outs(backend["db_path"])
    again = CollectingDispatcher()
    await ActionOptOutNotifications().run(again, tracker, domain)  # saying it twice is fine
    assert texts(again) == [OPTED_OUT]
    assert opt_outs(backend["db_path"]).count(("wechat", "oWx-act")) == 1


@pytest.mark.asyncio
async def test_a_backend_that_is_down_gets_an_apology_not_a_promise(
    offline_backend: None, domain: Any
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="不用通知我", intent="opt_out_notifications", channel="socketio")
    assert await ActionOptOutNotifications().run(dispatcher, tracker, domain) == []
    assert texts(dispatcher) == [NOT_SAVED]
