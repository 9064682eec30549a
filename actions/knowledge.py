"""How the actions read the knowledge base: the question to answer and the reply to send."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.knowledge import Entry, KnowledgeBase, load_knowledge_base

# the request an answer may offer to open, as a button
OFFER_BUTTONS = {
    "housing": {"title": "帮我申请人才住房", "payload": "/request_housing"},
    "schooling": {"title": "帮孩子办入学", "payload": "/request_schooling"},
    "hospital": {"title": "预约就医绿色通道", "payload": "/request_hospital"},
    "settlement": {"title": "帮我办落户或档案转存", "payload": "/request_settlement"},
}


def knowledge_base() -> KnowledgeBase:
    """Return the knowledge base, loaded (once) on first use, not at import time."""
    return load_knowledge_base()


def question_text(tracker: Tracker) -> str:
    """Return the words the user asked with, looking past a clicked button's payload.

    A button ("您是想问…？") sends `/intent`; the question it clarifies is the
    last typed message before it, which may have been reverted by the fallback.
    """
    text = str(tracker.latest_message.get("text") or "")
    if not text.startswith("/"):
        return text
    for event in reversed(tracker.events):
        typed = str(event.get("text") or "") if event.get("event") == "user" else ""
        if typed and not typed.startswith("/"):
            return typed
    return ""


def send_entry(dispatcher: CollectingDispatcher, tracker: Tracker, entry: Entry) -> None:
    """Say an entry's answer with its source line, offering its request outside a form."""
    buttons: list[dict[str, Any]] = []
    if entry.offer and not (tracker.active_loop or {}).get("name"):
        buttons.append(OFFER_BUTTONS[entry.offer])
    dispatcher.utter_message(text=entry.reply(), buttons=buttons)
