"""Answers to policy questions (each citing its source) and to small talk.

Outside a form the rules utter these responses directly; inside a form this
action answers, and the form then asks its question again.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import latest_intent

# intent -> response; the responses live in domain.yml with their source line
POLICY_RESPONSES = {
    "ask_housing_policy": "utter_answer_housing_policy",
    "ask_school_policy": "utter_answer_school_policy",
    "ask_hospital_policy": "utter_answer_hospital_policy",
    "ask_hukou": "utter_answer_hukou",
    "ask_talent_code": "utter_answer_talent_code",
    "ask_funding": "utter_answer_funding",
    "ask_tech_transfer": "utter_answer_tech_transfer",
    "ask_finance": "utter_answer_finance",
    "ask_staffing": "utter_answer_staffing",
    "ask_general_service": "utter_answer_general_service",
}
SMALL_TALK_RESPONSES = {
    "greet": "utter_greet",
    "thanks": "utter_thanks",
    "goodbye": "utter_goodbye",
    "bot_challenge": "utter_bot_challenge",
    "out_of_scope": "utter_out_of_scope",
    "human_handoff": "utter_handoff",
}
ANSWERS = {**POLICY_RESPONSES, **SMALL_TALK_RESPONSES}


class ActionAnswer(Action):
    """Answer the question or remark of the latest message."""

    def name(self) -> str:
        """Return the action name."""
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Utter the answer for the intent, or ask to rephrase."""
        response = ANSWERS.get(latest_intent(tracker) or "")
        dispatcher.utter_message(response=response or "utter_please_rephrase")
        return []
