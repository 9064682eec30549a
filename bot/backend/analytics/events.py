"""Read one Rasa 3.6 tracker event (as its event broker publishes it) into what the figures need.

Pure functions, no database. An event body is Rasa's ``Event.as_dict()`` with
``sender_id`` added (``TrackerStore._stream_new_events``); a message holds one
such body, or a JSON array of a turn's bodies in order (``unpack``; Yucai's
broker, ``bot/serving/event_broker.py``). Only five kinds
count; every other event (slots, bot answers in general, forms) is skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.common.normalise import normalise
from bot.common.pii import mask_text
from bot.common.sessions import is_continued
from bot.common.text import to_half_width

#: a message understood below this confidence goes on the policy staff's list
LOW_CONFIDENCE = 0.6
#: Rasa's core fallback; an NLU fallback shows as the user event's intent
FALLBACK_ACTIONS = frozenset({"action_default_fallback"})
NLU_FALLBACK = "nlu_fallback"
#: the responses that say the assistant has no answer (actions/policy.py, fallback.py)
UNANSWERED_RESPONSES = frozenset({"utter_not_sure"})
#: a live handoff pauses the conversation; a callback runs its form
CALLBACK_FORM = "callback_form"
MAX_TEXT = 200

#: request numbers and any other long digit run (a card, a case number) are masked too
_NUMBERS = re.compile(r"[A-Za-z]{2}\d{8}-\d{4}[A-Za-z]?|\d{6,}")
_NOT_WORDS = re.compile(r"[\W_]+", re.UNICODE)
_MASKS = re.compile(r"[*＊]+")


class BadEventError(ValueError):
    """A message that is not a Rasa event (not JSON, no sender, no timestamp)."""


@dataclass(frozen=True)
class Parsed:
    """What one event contributes: its kind, key, time and (masked) content."""

    key: str
    sender_id: str
    kind: str
    occurred_at: datetime
    name: str | None = None
    confidence: float | None = None
    channel: str | None = None
    text: str | None = None


def unpack(body: bytes | str) -> list[Any]:
    """Return the event bodies a broker message holds: one event, or a turn's array of them."""
    try:
        content = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadEventError("not JSON") from exc
    if isinstance(content, list):
        if not content:
            raise BadEventError("an empty list of events")
        return content
    return [content]


def decode(body: bytes | str | dict[str, Any]) -> dict[str, Any]:
    """Decode a broker message body into the event dict, or raise BadEventError."""
    try:
        event = json.loads(body) if isinstance(body, bytes | str) else body
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadEventError("not JSON") from exc
    if not isinstance(event, dict):
        raise BadEventError("not a JSON object")
    if not isinstance(event.get("sender_id"), str) or not event["sender_id"]:
        raise BadEventError("no sender_id")
    if not isinstance(event.get("timestamp"), int | float) or isinstance(
        event.get("timestamp"), bool
    ):
        raise BadEventError("no timestamp")
    if not isinstance(event.get("event"), str):
        raise BadEventError("no event type")
    return event


def event_key(event: dict[str, Any]) -> str:
    """Key an event by sender, type, timestamp and content: the same event always maps here."""
    canonical = json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    content = hashlib.sha256(canonical.encode()).hexdigest()
    parts = (event["sender_id"], event["event"], repr(float(event["timestamp"])), content)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def pseudonym(value: str, key: bytes) -> str:
    """Hash a sender id with the installation's key so the table never holds the id."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def mask_question(text: str) -> str:
    """Mask phones, ID numbers, request numbers and long digit runs; cap the length."""
    return _NUMBERS.sub("＊", mask_text(text.strip()))[:MAX_TEXT]


def group_text(masked: str) -> str:
    """Normalise a masked question so spellings of the same question group together."""
    folded = _MASKS.sub("某", normalise(to_half_width(masked)).lower())
    return _NOT_WORDS.sub("", folded)[:MAX_TEXT] or masked[:MAX_TEXT]


def _user(event: dict[str, Any], base: dict[str, Any]) -> Parsed | None:
    text = str(event.get("text") or "")
    if text.startswith("/"):  # a button's payload, not a question in the user's words
        text = ""
    intent = (event.get("parse_data") or {}).get("intent") or {}
    confidence = intent.get("confidence")
    return Parsed(
        **base,
        kind="user",
        name=str(intent.get("name") or "") or None,
        confidence=float(confidence) if isinstance(confidence, int | float) else None,
        channel=str(event.get("input_channel") or "") or None,
        text=mask_question(text) if text.strip() else None,
    )


def parse(event: dict[str, Any]) -> Parsed | None:
    """Return what a decoded event counts as, or None when no figure uses it."""
    kind = event["event"]
    base: dict[str, Any] = {
        "key": event_key(event),
        "sender_id": event["sender_id"],
        "occurred_at": datetime.fromtimestamp(float(event["timestamp"]), tz=timezone.utc),
    }
    name = event.get("name")
    if kind == "session_started":
        # a long conversation carried on in a new session is still one conversation
        return None if is_continued(event) else Parsed(**base, kind="session")
    if kind == "user":
        return _user(event, base)
    if kind == "action" and name in FALLBACK_ACTIONS:
        return Parsed(**base, kind="fallback", name=name)
    if kind == "bot":
        response = (event.get("metadata") or {}).get("utter_action")
        if response in UNANSWERED_RESPONSES:
            return Parsed(**base, kind="unanswered", name=response)
        return None
    if kind == "pause":
        return Parsed(**base, kind="handoff", name="live")
    if kind == "active_loop" and name == CALLBACK_FORM:
        return Parsed(**base, kind="handoff", name="callback")
    return None


def needs_review(parsed: Parsed) -> bool:
    """Tell whether a user message was understood too poorly to trust the answer."""
    if parsed.kind != "user" or parsed.text is None:
        return False
    if parsed.name == NLU_FALLBACK:
        return True
    return parsed.confidence is not None and parsed.confidence < LOW_CONFIDENCE
