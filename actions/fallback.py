"""What the assistant says when it did not understand, and why."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.common.text import has_words

MAX_MESSAGE_CHARS = 500


class ActionHandleFallback(Action):
    """Explain the problem (empty, too long, unclear) and offer a way on."""

    def name(self) -> str:
        """Return the action name."""
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Reply to the message, then forget it so a form in progress is not disturbed."""
        text = tracker.latest_message.get("text") or ""
        if not has_words(text):
            dispatcher.utter_message(response="utter_empty_message")
        elif (
            int(tracker.latest_message.get("original_text_length") or len(text)) > MAX_MESSAGE_CHARS
        ):
            dispatcher.utter_message(response="utter_message_too_long")
        else:
            dispatcher.utter_message(response="utter_please_rephrase")
        return [UserUtteranceReverted()]
