"""Handing a chat to a person and back: offer, queue and pause, decline, resume.

While an agent holds the conversation it is paused, so the bot says nothing;
the agent's messages reach the user through Rasa's HTTP API on the user's own
channel (bot/console). When the agent hands back, the console triggers
``EXTERNAL_handoff_ended`` and the bot carries on, reopening an interrupted form.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendCallError, BackendRejected, get_client
from bot.common.catalogue import KINDS_BY_FORM
from bot.common.pii import mask_text
from bot.knowledge.topics import topic_of

logger = logging.getLogger(__name__)

FORMS = ("housing_form", "schooling_form", "hospital_form", "status_form", "cancel_form")
FORM_TOPICS = {
    "housing_form": "housing_apply",
    "schooling_form": "school_apply",
    "hospital_form": "hospital_book",
    "status_form": "request_status",
    "cancel_form": "request_cancel",
}
#: Topics that say nothing about what the user needs a person for.
_EMPTY_TOPICS = frozenset(
    {"human_handoff", "dialogue", "greet", "goodbye", "thanks", "bot_challenge"}
)
HANDOFF_SLOTS = (
    "handoff_mode",
    "handoff_topic",
    "handoff_team",
    "handoff_hours",
    "handoff_resume_form",
)
RECENT_LINES = 6
#: Why nobody can chat now -> what the user is told (each offers a callback).
UNAVAILABLE = {
    "outside_hours": "utter_handoff_outside_hours",
    "no_agent": "utter_handoff_no_agent",
    "channel": "utter_handoff_channel",
}
#: What the fallback sets before asking, so the offer says why it comes.
AFTER_FAILURES = "after_failures"
NOT_SURE_RESPONSE = "utter_not_sure"


def interrupted_form(events: Sequence[dict[str, Any]]) -> str | None:
    """Return the form deactivated since the latest user message, if one was."""
    deactivated = False
    for event in reversed(events):
        kind = event.get("event")
        if kind == "active_loop":
            name = event.get("name")
            if name is None:
                deactivated = True
            elif deactivated:
                return str(name) if name in FORMS else None
            else:
                return None
        elif kind == "user" and not deactivated:
            return None
    return None


def conversation_topic(events: Sequence[dict[str, Any]], form: str | None) -> str:
    """Name what the user was about: the interrupted form, else the last telling intent."""
    if form in FORM_TOPICS:
        return FORM_TOPICS[form]
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        topic = topic_of(intent)
        if topic and topic not in _EMPTY_TOPICS:
            return topic
    return "general_service"


def failed_turns_before(events: Sequence[dict[str, Any]]) -> int:
    """Count the user's turns in a row, before the latest one, the bot was not sure about."""
    turns: list[bool] = []
    for event in events:
        if event.get("event") == "user":
            turns.append(False)
        elif turns and event.get("event") == "bot":
            if (event.get("metadata") or {}).get("utter_action") == NOT_SURE_RESPONSE:
                turns[-1] = True
        elif (
            turns and event.get("event") == "action" and event.get("name") == "action_offer_handoff"
        ):
            turns = []
    count = 0
    for failed in reversed(turns[:-1]):
        if not failed:
            break
        count += 1
    return count


def recent_lines(
    events: Sequence[dict[str, Any]], limit: int = RECENT_LINES
) -> list[dict[str, str]]:
    """Return the last user and bot lines, numbers masked, for the agent's context."""
    lines = []
    for event in events:
        text = event.get("text")
        if event.get("event") in {"user", "bot"} and isinstance(text, str) and text.strip():
            if text.startswith("/") or text.startswith("EXTERNAL"):
                continue
            speaker = "user" if event["event"] == "user" else "bot"
            lines.append({"speaker": speaker, "text": mask_text(text)[:500]})
    return lines[-limit:]


def collected_details(tracker: Tracker, form: str | None) -> dict[str, str]:
    """Show what the interrupted form collected so far, personal data masked."""
    kind = KINDS_BY_FORM.get(form or "")
    if kind is None:
        return {}
    slots = tracker.current_slot_values()
    details = {}
    for field in kind.fields:
        value = slots.get(field.slot)
        if value not in (None, ""):
            details[field.slot] = field.show(value, slots)[:200]
    return details


def summary(topic: str, form: str | None, tracker: Tracker) -> str:
    """Write the one-line summary the agent reads first."""
    kind = KINDS_BY_FORM.get(form or "")
    if kind is not None:
        return f"用户在办理“{kind.title}”时请求人工服务。"
    asked = next(
        (
            line["text"]
            for line in reversed(recent_lines(tracker.events, limit=20))
            if line["speaker"] == "user" and "人工" not in line["text"]
        ),
        "",
    )
    return f"用户咨询“{asked[:60]}”后请求人工服务。" if asked else "用户请求人工服务。"


class ActionOfferHandoff(Action):
    """Offer a person now, or, out of hours or with nobody online, a callback."""

    def name(self) -> str:
        """Return the action name."""
        return "action_offer_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Ask the backend who can answer, then say so honestly."""
        form = interrupted_form(tracker.events) or tracker.get_slot("handoff_resume_form")
        topic = conversation_topic(tracker.events, form)
        events: list[EventType] = [
            SlotSet("handoff_resume_form", form),
            SlotSet("handoff_topic", topic),
        ]
        try:
            channel = tracker.get_latest_input_channel() or "rest"
            found = await asyncio.to_thread(get_client().handoff_availability, topic, channel)
        except BackendCallError:
            dispatcher.utter_message(response="utter_handoff_unreachable")
            return [*events, SlotSet("handoff_mode", None)]
        events += [
            SlotSet("handoff_team", found.get("team")),
            SlotSet("handoff_hours", found.get("hours")),
        ]
        hours = str(found.get("hours") or "")
        if found.get("available"):
            after_failures = tracker.get_slot("handoff_mode") == AFTER_FAILURES
            dispatcher.utter_message(
                response="utter_offer_handoff_after_failures"
                if after_failures
                else "utter_offer_handoff"
            )
            return [*events, SlotSet("handoff_mode", "live")]
        response = UNAVAILABLE.get(str(found.get("reason")), "utter_handoff_no_agent")
        dispatcher.utter_message(response=response, handoff_hours=hours)
        return [*events, SlotSet("handoff_mode", "callback")]


class ActionStartHandoff(Action):
    """After a yes: queue the conversation and pause the bot, or take a callback request."""

    def name(self) -> str:
        """Return the action name."""
        return "action_start_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Hand over with the topic, what is known and a summary; pause while a person talks."""
        if tracker.get_slot("handoff_mode") == "callback":
            return [FollowupAction("callback_form")]
        form = tracker.get_slot("handoff_resume_form")
        topic = tracker.get_slot("handoff_topic") or "general_service"
        payload = {
            "sender_id": tracker.sender_id,
            "channel": tracker.get_latest_input_channel() or "rest",
            "topic": topic,
            "summary": summary(topic, form, tracker),
            "details": collected_details(tracker, form),
            "recent": recent_lines(tracker.events),
        }
        try:
            queued = await asyncio.to_thread(get_client().create_handoff, payload)
        except BackendRejected as exc:
            if exc.code == "handoff_unavailable":  # the last agent just left
                return [FollowupAction("action_offer_handoff")]
            logger.info("handoff refused: %s", exc.code)
            dispatcher.utter_message(response="utter_handoff_unreachable")
            return []
        except BackendCallError:
            dispatcher.utter_message(response="utter_handoff_unreachable")
            return []
        dispatcher.utter_message(
            response="utter_handoff_queued", position=queued.get("position", 1)
        )
        return [ConversationPaused()]


class ActionDeclineHandoff(Action):
    """After a no: carry on, reopening the form the offer interrupted."""

    def name(self) -> str:
        """Return the action name."""
        return "action_decline_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Say we carry on and go back to the form, if there was one."""
        return continue_with(dispatcher, tracker, "utter_handoff_declined")


class ActionResumeAfterHandoff(Action):
    """The agent handed back: say so, and carry on where the bot left off."""

    def name(self) -> str:
        """Return the action name."""
        return "action_resume_after_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Tell the user the bot is back and reopen an interrupted form."""
        return continue_with(dispatcher, tracker, "utter_handoff_ended")


def continue_with(
    dispatcher: CollectingDispatcher, tracker: Tracker, response: str
) -> list[EventType]:
    """Utter ``response``, clear the handoff slots and reopen an interrupted form."""
    dispatcher.utter_message(response=response)
    form = tracker.get_slot("handoff_resume_form")
    events: list[EventType] = [SlotSet(slot, None) for slot in HANDOFF_SLOTS]
    if form in FORMS:
        dispatcher.utter_message(response="utter_handoff_continue_form")
        events.append(FollowupAction(form))
    return events
