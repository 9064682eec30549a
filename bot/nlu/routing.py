"""Route what the form of a question settles: English questions, and asking versus applying.

`QuestionRouter` runs after the classifier and the fallback classifier:

- An English message (foreign experts, 外籍人才) is searched in the English
  answers of the knowledge base; a confident entry gives its topic's ask_*
  intent, anything else is out of scope. DIET, trained on Chinese, would guess.
  The parse carries ``language: en`` so the actions answer in English.
- A request intent (request_housing …) for a message that only asks about the
  service ("一共有好多套", "有哪些", "要什么条件") becomes the sibling policy
  intent: the answer states the policy and offers the request as a button.
  Only an explicit wish (我要申请 / 帮我办 / 想预约) opens the form.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.knowledge import load_knowledge_base
from bot.knowledge.english import is_english
from bot.knowledge.topics import intent_topics
from bot.nlu.input_guard import _Stateless

LANGUAGE = "language"
# the request intents and the policy intent that answers questions about them
ASK_INSTEAD_OF_REQUEST = {
    "request_housing": "ask_housing_policy",
    "request_schooling": "ask_school_policy",
    "request_hospital": "ask_hospital_policy",
    "request_settlement": "ask_hukou",
}
# a question about the service: how many, which, what conditions, whether
ASKS_ABOUT = re.compile(
    r"多少|好多|几套|几家|几个|几所|哪些|哪几|有没有|是什么|是啥|什么条件|啥条件|哪样条件|"
    r"要什么|要啥|需要什么|需要啥|条件是|什么要求|啥要求|符合|够不够|能不能享受|政策|规定|"
    r"一共|总共|[吗么][？?]?$|[？?]$"
)
# an explicit wish to have it done
WANTS_IT_DONE = re.compile(
    r"我要|我想|想要|要申请|想申请|申请一|帮我|给我|替我|帮忙|麻烦|请为我|为我|请帮|"
    r"想预约|要预约|预约一|我来申请|报个名|报名|登记|提交|办理一下|给我办|受理|我申请|申个|弄个|"
    r"直接|现在就|帮孩子|帮娃"
)


def ask_instead_of_request(intent: str, text: str) -> str | None:
    """Return the policy intent for a request intent whose message only asks about it."""
    ask = ASK_INSTEAD_OF_REQUEST.get(intent)
    if ask and ASKS_ABOUT.search(text) and not WANTS_IT_DONE.search(text):
        return ask
    return None


def english_intent(text: str) -> str:
    """Return the policy intent of an English question, or out_of_scope."""
    hits = load_knowledge_base().search_english(text, limit=1)
    if not hits or not hits[0].confident:
        return "out_of_scope"
    topic = hits[0].entry.topic
    for intent, intent_topic in intent_topics().items():
        if intent_topic == topic and intent.startswith("ask_"):
            return intent
    return "out_of_scope"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class QuestionRouter(_Stateless, IntentClassifier):
    """Overrule the classifier for English questions and for questions about a request."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the default config (no options)."""
        return {}

    def process(self, messages: list[Message]) -> list[Message]:
        """Route each message whose form settles its intent."""
        for message in messages:
            text = message.get(TEXT) or ""
            intent = (message.get(INTENT) or {}).get("name") or ""
            if is_english(text):
                message.set(LANGUAGE, "en", add_to_output=True)
                self._overrule(message, english_intent(text))
                continue
            ask = ask_instead_of_request(intent, text)
            if ask:
                self._overrule(message, ask)
        return messages

    @staticmethod
    def _overrule(message: Message, intent: str) -> None:
        message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
        message.set(
            INTENT_RANKING_KEY,
            [{"name": intent, "confidence": 1.0}, *ranking],
            add_to_output=True,
        )
