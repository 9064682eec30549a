"""Leaving a callback request when no person can chat now (out of hours, nobody online).

The request goes to the backend as kind ``callback``; agents of the team the
topic belongs to see it in the console and call back in service hours.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendCallError, BackendRejected, get_client
from actions.forms import CHINA_TZ, SlotDict, install_field_validators
from actions.handoff import HANDOFF_SLOTS, summary
from bot.common.catalogue import CALLBACK, backend_channel

CALLBACK_SLOTS = CALLBACK.slots


class ActionAskCallbackConsent(Action):
    """Show the callback notice and ask for an explicit yes before collecting anything."""

    def name(self) -> str:
        """Return the action name."""
        return "action_ask_callback_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Read the current notice from the backend and ask to agree."""
        try:
            notice = await asyncio.to_thread(get_client().get_consent_notice, CALLBACK.notice_key)
        except BackendCallError:
            dispatcher.utter_message(response="utter_handoff_unreachable")
            return [SlotSet("callback_consent", False)]
        dispatcher.utter_message(
            text=f"{notice['text']}\n同意后我再记下您的称呼、电话和方便接听的时间。您同意吗？",
            buttons=[
                {"title": "同意", "payload": "/affirm"},
                {"title": "不同意", "payload": "/deny"},
            ],
        )
        return [SlotSet("callback_notice_version", notice["version"])]


class ValidateCallbackForm(FormValidationAction):
    """Check the answers of the callback form the way the request forms do."""

    def name(self) -> str:
        """Return the action name Rasa calls for this form."""
        return "validate_callback_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """End at once when the notice is refused."""
        return [] if tracker.get_slot("callback_consent") is False else domain_slots

    def validate_callback_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Note when the user agreed, and give this callback its idempotency key."""
        if value is not True:
            return {"callback_consent": value}
        return {
            "callback_consent": True,
            "callback_agreed_at": datetime.now(CHINA_TZ).isoformat(timespec="seconds"),
            "callback_key": f"callback-{uuid.uuid4().hex}",
        }


# the name, phone and time are checked by their catalogue parsers
install_field_validators(ValidateCallbackForm, CALLBACK.fields)


class ActionSubmitCallback(Action):
    """Create the callback request, or say plainly why it was not created."""

    def name(self) -> str:
        """Return the action name."""
        return "action_submit_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Send the request once (idempotency key) and read its number back."""
        reset: list[EventType] = [SlotSet(s, None) for s in (*CALLBACK_SLOTS, *HANDOFF_SLOTS)]
        if tracker.get_slot("callback_consent") is not True:
            dispatcher.utter_message(response="utter_callback_cancelled")
            return reset
        slot = tracker.get_slot
        topic = slot("handoff_topic") or "general_service"
        payload = {
            "kind": CALLBACK.code,
            "applicant": CALLBACK.applicant_payload(tracker.current_slot_values()),
            "channel": backend_channel(tracker.get_latest_input_channel()),
            "sender_id": tracker.sender_id,
            "consent": {
                "notice_version": slot("callback_notice_version"),
                "agreed_at": slot("callback_agreed_at"),
            },
            "details": {
                **CALLBACK.details_payload({"callback_time": slot("callback_time") or ""}),
                "team": slot("handoff_team") or "general",
                "topic": topic,
                "note": summary(topic, slot("handoff_resume_form"), tracker)[:200],
            },
        }
        try:
            created = await asyncio.to_thread(
                get_client().create_request, payload, idempotency_key=slot("callback_key")
            )
        except BackendRejected as exc:
            dispatcher.utter_message(text=f"抱歉，回电登记没有成功：{exc.message}")
            return reset
        except BackendCallError:
            dispatcher.utter_message(response="utter_handoff_unreachable")
            return []  # keep the answers: a later "转人工" can try again
        hours = slot("handoff_hours") or "服务时间"
        earliest = await _earliest_call(topic, tracker.get_latest_input_channel() or "rest")
        dispatcher.utter_message(
            text=(
                f"已为您登记回电，编号 {created['number']}。工作人员会在服务时间（{hours}）内"
                f"拨打 {created['applicant']['phone']} 与您联系"
                + (f"，最早在{earliest}" if earliest else "")
                + "。"
            )
        )
        return reset


async def _earliest_call(topic: str, channel: str) -> str:
    """Ask the backend when people next answer (it knows the holidays); empty if now or unknown."""
    try:
        found = await asyncio.to_thread(get_client().handoff_availability, topic, channel)
    except BackendCallError:
        return ""  # the request is made; the promise falls back to the service hours
    return str(found.get("next_open_text") or "")
