"""The personal-data notice shown before any request details are collected."""

from __future__ import annotations

import asyncio

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendCallError, get_client
from bot.common.catalogue import KINDS_BY_FORM

CONSENT_BUTTONS = [
    {"title": "同意", "payload": "/affirm"},
    {"title": "不同意", "payload": "/deny"},
]


class ActionAskPrivacyConsent(Action):
    """Show the backend's current notice for this kind and ask for a clear yes."""

    def name(self) -> str:
        """Return the action name."""
        return "action_ask_privacy_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Fetch the notice so the version agreed to is the version shown."""
        kind = KINDS_BY_FORM.get(tracker.active_loop_name or "")
        if kind is None:
            return []
        try:
            notice = await asyncio.to_thread(get_client().get_consent_notice, kind.notice_key)
        except BackendCallError:
            dispatcher.utter_message(
                text="抱歉，办理系统暂时连接不上，现在无法办理申请。您可以稍后再试，或回复“不办了”先咨询政策问题。"
            )
            return [SlotSet("consent_notice_version", None)]
        dispatcher.utter_message(
            text=f"办理{kind.title}前，请先阅读个人信息告知：\n{notice['text']}\n您同意吗？",
            buttons=CONSENT_BUTTONS,
        )
        return [SlotSet("consent_notice_version", notice["version"])]
