"""How the actions read the knowledge base: the question to answer and the reply to send."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.common.catalogue import FORM_KINDS
from bot.knowledge import Entry, KnowledgeBase, load_knowledge_base
from bot.knowledge.answering import choose_entries, compose_reply, compose_reply_en
from bot.knowledge.coverage import topic_vocabulary
from bot.knowledge.english import REQUEST_WISH, is_english
from bot.knowledge.search import content_words

# the request an answer may offer to open, as a button
OFFER_BUTTONS = {
    kind.code: {"title": kind.offer, "payload": f"/{kind.intent}"}
    for kind in FORM_KINDS
    if kind.intent
}
HANDOFF_BUTTON = {"title": "转人工 / Talk to a person", "payload": "/human_handoff"}
ENGLISH_NOT_SURE = (
    "Sorry, I am not sure about this one and would rather not give you a wrong answer. "
    "I answer questions about Chongqing's services for science and technology workers "
    "(talent housing, children's schooling, designated hospitals, settling and personnel "
    "files, research funding, technology transfer, tech finance). You can rephrase, "
    "or talk to a person."
)
ENGLISH_REQUESTS = (
    "Requests (talent housing, school enrollment, hospital green channel, settling, "
    "status and cancellation) can only be handled in Chinese for now. "
    "A member of staff can help you in person: press the button below."
)


def knowledge_base() -> KnowledgeBase:
    """Return the knowledge base, loaded (once) on first use, not at import time."""
    return load_knowledge_base()


def warm_up() -> None:
    """Load the knowledge base, its vocabulary and its word splitter before the first question.

    Loading them takes about 3 s; done at start (beside Rasa's own start), the
    first policy question is answered as fast as the next ones.
    """
    knowledge_base()
    topic_vocabulary()
    content_words("人才公寓怎么申请")


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


def in_english(tracker: Tracker) -> bool:
    """Tell whether the latest message (or the question a clicked button answers) is English."""
    if tracker.latest_message.get("language") == "en":
        return True
    return is_english(question_text(tracker))


def entries_for(text: str, topic: str | None) -> list[Entry]:
    """Return the entries that answer every part of the question, each above the bar."""
    return choose_entries(knowledge_base(), topic_vocabulary(), text, topic)


def send_entries(
    dispatcher: CollectingDispatcher, tracker: Tracker, entries: Sequence[Entry]
) -> None:
    """Say the answers with one source line, offering their requests outside a form."""
    buttons: list[dict[str, Any]] = []
    if not (tracker.active_loop or {}).get("name"):
        for offer in dict.fromkeys(e.offer for e in entries if e.offer):
            buttons.append(OFFER_BUTTONS[str(offer)])
    dispatcher.utter_message(text=compose_reply(entries), buttons=buttons)


def send_entry(dispatcher: CollectingDispatcher, tracker: Tracker, entry: Entry) -> None:
    """Say an entry's answer with its source line, offering its request outside a form."""
    send_entries(dispatcher, tracker, [entry])


def answer_in_english(dispatcher: CollectingDispatcher, text: str) -> None:
    """Answer an English question from the English answers, or say plainly we cannot."""
    hits = knowledge_base().search_english(text, limit=1)
    wants_request = bool(REQUEST_WISH.search(text))
    if hits and hits[0].confident:
        reply = compose_reply_en([hits[0].entry])
        if wants_request:
            reply = f"{reply}\n{ENGLISH_REQUESTS}"
        buttons = [HANDOFF_BUTTON] if wants_request else []
        dispatcher.utter_message(text=reply, buttons=buttons)
    elif wants_request:
        dispatcher.utter_message(text=ENGLISH_REQUESTS, buttons=[HANDOFF_BUTTON])
    else:
        dispatcher.utter_message(text=ENGLISH_NOT_SURE, buttons=[HANDOFF_BUTTON])
