"""What the assistant says when NLU is not sure: ask, search the knowledge base, or admit it.

In this order: a message with no words or one that is too long gets its
reason; a message the classifier found close between two topics gets
"您是想问…？" with a button for each; a question the knowledge base covers
with confidence gets that entry's answer and source; anything else gets an
honest "not sure" and the offer of a person.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff import AFTER_FAILURES, failed_turns_before
from actions.knowledge import answer_in_english, entries_for, in_english, send_entries
from actions.policy import out_of_scope_response
from bot.common.text import has_words

MAX_MESSAGE_CHARS = 500
# how close two intents must be, and how likely the first, to ask which one
CLARIFY_MARGIN = 0.2
CLARIFY_MIN_CONFIDENCE = 0.2
# what the user is asked to choose between ("您是想问…？")
CLARIFY_LABELS = {
    "request_housing": "申请人才住房",
    "ask_housing_policy": "人才住房和公积金政策",
    "request_schooling": "办理子女入学",
    "ask_school_policy": "子女入学政策",
    "request_hospital": "预约就医绿色通道",
    "ask_hospital_policy": "定点医院和绿色通道政策",
    "ask_hukou": "落户和档案转存",
    "request_settlement": "办理落户或档案转存",
    "ask_talent_code": "金凤凰人才码和人才服务港",
    "ask_funding": "科研项目和经费",
    "ask_tech_transfer": "科技成果转化",
    "ask_finance": "科技金融和贷款",
    "ask_staffing": "“用编上编”编制",
    "ask_general_service": "办事渠道（渝快办）",
    "check_status": "查询申请进度",
    "cancel_request": "取消申请",
}


def clarify_choices(ranking: list[dict[str, Any]]) -> list[str]:
    """Return the two intents to ask about, if the classifier was torn between them."""
    candidates = [item for item in ranking if item.get("name") in CLARIFY_LABELS]
    if len(candidates) < 2:
        return []
    first, second = (float(item.get("confidence") or 0.0) for item in candidates[:2])
    if first >= CLARIFY_MIN_CONFIDENCE and first - second <= CLARIFY_MARGIN:
        return [str(candidates[0]["name"]), str(candidates[1]["name"])]
    return []


class ActionHandleFallback(Action):
    """Explain the problem, ask which topic was meant, or answer from the knowledge base."""

    def name(self) -> str:
        """Return the action name."""
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Reply to the message, then forget it so a form in progress is not disturbed."""
        message = tracker.latest_message
        text = str(message.get("text") or "")
        choices = clarify_choices(list(message.get("intent_ranking") or []))
        if not has_words(text):
            dispatcher.utter_message(response="utter_empty_message")
        elif int(message.get("original_text_length") or len(text)) > MAX_MESSAGE_CHARS:
            dispatcher.utter_message(response="utter_message_too_long")
        elif in_english(tracker):
            answer_in_english(dispatcher, text)
        elif (pointer := out_of_scope_response(text)) != "utter_out_of_scope" and not entries_for(
            text, None
        ):
            # the classifier was unsure, the words are plainly weather, shares, jokes, food
            # or travel: point to where that is answered rather than ask which policy was meant
            dispatcher.utter_message(response=pointer)
        elif choices:
            buttons = [{"title": CLARIFY_LABELS[c], "payload": f"/{c}"} for c in choices]
            buttons.append({"title": "都不是，找人工", "payload": "/human_handoff"})
            dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        else:
            entries = entries_for(text, None)
            if entries:
                send_entries(dispatcher, tracker, entries)
            elif failed_turns_before(tracker.events) >= 1:
                # not sure twice in a row: offer a person (issue 5)
                return [
                    UserUtteranceReverted(),
                    SlotSet("handoff_mode", AFTER_FAILURES),
                    FollowupAction("action_offer_handoff"),
                ]
            else:
                dispatcher.utter_message(response="utter_not_sure")
        return [UserUtteranceReverted()]
