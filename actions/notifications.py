"""Status updates (issue 15): the user says "不用通知我" and the backend stops pushing."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendCallError, get_client
from bot.common.catalogue import backend_channel

OPTED_OUT = "好的，今后您的申请有进展时不再主动通知您。" "您随时可以说“查询申请”了解最新进度。"
NOT_SAVED = "抱歉，暂时没能保存您的设置，请稍后再说一次“不用通知我”，或回复“转人工”。"


class ActionOptOutNotifications(Action):
    """Record that this conversation wants no more pushed status updates."""

    def name(self) -> str:
        """Name the action as the domain does."""
        return "action_opt_out_notifications"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Tell the backend, which skips every later (and every pending) update to this sender."""
        channel = backend_channel(tracker.get_latest_input_channel())
        body: dict[str, Any] = {"channel": channel, "sender_id": tracker.sender_id}
        try:
            await asyncio.to_thread(get_client().opt_out_notifications, body)
        except BackendCallError:
            dispatcher.utter_message(text=NOT_SAVED)
            return []
        dispatcher.utter_message(text=OPTED_OUT)
        return []
