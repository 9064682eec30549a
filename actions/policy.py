"""Answers to policy questions (from the knowledge base, each citing its source) and small talk.

The intent gives the topic (data/topics.yml); within the topic the knowledge
base picks the entry that fits the words of the question best. Outside a form
the rules run this action directly; inside a form it answers, and the form then
asks its question again.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import latest_intent
from actions.knowledge import (
    answer_in_english,
    entries_for,
    in_english,
    knowledge_base,
    question_text,
    send_entries,
)
from bot.knowledge import POLICY_TOPICS
from bot.knowledge.topics import topic_of

SMALL_TALK_RESPONSES = {
    "greet": "utter_greet",
    "thanks": "utter_thanks",
    "goodbye": "utter_goodbye",
    "bot_challenge": "utter_bot_challenge",
    "human_handoff": "utter_handoff",
}
# out of scope: point to where such a question is answered, by its words
OUT_OF_SCOPE_POINTERS = (
    (("天气", "下雨", "气温", "温度", "下雪", "台风", "空气质量"), "utter_out_of_scope_weather"),
    (("股票", "炒股", "买基金", "大盘", "理财", "涨停", "比特币"), "utter_out_of_scope_investing"),
    (("笑话", "段子", "讲个故事", "唱首歌", "唱歌"), "utter_out_of_scope_jokes"),
    (("火锅", "好吃", "美食", "餐厅", "小面", "外卖", "吃什么"), "utter_out_of_scope_food"),
    (("地铁", "公交", "堵车", "打车", "航班", "火车", "高铁", "轻轨"), "utter_out_of_scope_travel"),
)


def out_of_scope_response(text: str) -> str:
    """Return the refusal that points to the right place for this kind of question."""
    for words, response in OUT_OF_SCOPE_POINTERS:
        if any(word in text for word in words):
            return response
    return "utter_out_of_scope"


class ActionAnswer(Action):
    """Answer the question or remark of the latest message."""

    def name(self) -> str:
        """Return the action name."""
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Answer from the knowledge base for a policy topic, else with the small-talk response.

        Only what an entry covers is answered: a policy question whose words the
        topic does not know gets "not sure" and the offer of a person, never an
        unrelated entry with its source line.
        """
        intent = latest_intent(tracker) or ""
        topic = topic_of(intent)
        if in_english(tracker) and intent not in SMALL_TALK_RESPONSES:
            answer_in_english(dispatcher, question_text(tracker))
            return []
        if topic in POLICY_TOPICS:
            entries = entries_for(question_text(tracker), topic)
            clicked = str(tracker.latest_message.get("text") or "").startswith("/")
            if not entries and clicked:
                # a topic button ("科研经费") with no question of its own: the topic's overview
                entries = knowledge_base().in_topic(topic)[:1]
            if entries:
                send_entries(dispatcher, tracker, entries)
            else:
                dispatcher.utter_message(response="utter_not_sure")
            return []
        if intent == "out_of_scope":
            dispatcher.utter_message(response=out_of_scope_response(question_text(tracker)))
            return []
        response = SMALL_TALK_RESPONSES.get(intent)
        dispatcher.utter_message(response=response or "utter_please_rephrase")
        return []
