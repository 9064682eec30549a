"""The recorded Rasa 3.6 event stream the analytics tests feed, and the figures it must give.

``data/rasa_event_stream.json`` holds five conversations as Rasa's event broker
publishes them (``Event.as_dict()`` with ``sender_id``), written by Rasa 3.6's
own event classes: a housing form (web chat), two unanswered rent questions
and a live handoff (WeChat), an NLU fallback with a phone number and an
out-of-scope question (web chat), an unanswered question, a core fallback and
a callback (REST), and a greeting on the next day.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.backend.analytics.figures import DayRange

STREAM_FILE = Path(__file__).resolve().parent / "data" / "rasa_event_stream.json"
TZ = ZoneInfo("Asia/Shanghai")
RANGE = DayRange(date(2026, 11, 27), date(2026, 11, 28), TZ)
FIRST_DAY = DayRange(date(2026, 11, 27), date(2026, 11, 27), TZ)

#: what the stream must give over both days
EXPECTED = {
    "conversations": 5,
    "escalated": 2,  # the WeChat live handoff and the REST callback
    "user_messages": 10,
    "fallbacks": 2,  # one nlu_fallback, one action_default_fallback
}
#: the policy staff's list: (masked text, count, unanswered, low confidence); biggest
#: first, then unanswered before low confidence, then the most recent
EXPECTED_QUESTIONS = [
    ("人才公寓租金多少钱一个月", 2, 2, 0),
    ("人才公寓的租金是多少", 1, 1, 0),
    ("asdfgh", 1, 0, 1),
    ("能不能帮我查一下138****5678的申请", 1, 0, 1),
]


def stream() -> list[dict[str, Any]]:
    """Load the recorded stream (a fresh copy each time)."""
    return list(json.loads(STREAM_FILE.read_text(encoding="utf-8")))


def with_duplicates_and_redelivery(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Cut the stream into batches; repeat some events and deliver one batch twice."""
    batches = [events[i : i + 10] for i in range(0, len(events), 10)]
    batches[1] = batches[1] + batches[1][:3]  # duplicates inside a batch
    batches.insert(3, batches[2])  # the third batch redelivered whole
    batches[-1] = batches[-1] + [events[0], events[5]]  # stragglers from the start
    return batches
