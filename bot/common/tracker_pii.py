"""Which stored conversation events still need raw phone and ID numbers, and masked copies.

Pure Python on Rasa's serialised events (the dictionaries of the tracker store's
``data`` column): the Rasa tracker store masks at save time
(bot/serving/tracker_store.py) and the backend's retention purge masks what is
left (bot/backend/retention.py), by the same rule.

The rule: raw values stay only while the request they belong to is open — a
form is collecting (the form and its read-back read them) or a submission did
not go through (「重试」 resends the kept details with the same key, README
"Exactly once"). Every way a request ends — created, dropped, consent
declined, dropped half way — clears its slots (actions/submission.py
``reset``, actions/callback.py), so "no personal slot set and no form active"
means the form that collected them has ended.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bot.common.catalogue import ALL_KINDS
from bot.common.pii import mask_id_number, mask_name, mask_phone, mask_text

__all__ = [
    "ENDING_EVENTS",
    "PERSONAL_SLOTS",
    "TEXT_EVENTS",
    "holds_raw_details",
    "holds_raw_details_in",
    "mask_event",
    "may_end_a_request",
]

_MASKS: dict[str, Callable[[str], str]] = {
    "name": mask_name,
    "phone": mask_phone,
    "id_number": mask_id_number,
}
#: The slots of the catalogue's fields masked as a name, a mobile or a resident ID, with their mask.
PERSONAL_SLOTS: dict[str, Callable[[str], str]] = {
    field.slot: _MASKS[field.mask]
    for kind in ALL_KINDS
    for field in kind.fields
    if field.mask in _MASKS
}
#: Event types whose stored data can carry what a person typed or was told.
TEXT_EVENTS = ("user", "bot", "slot", "entities")
#: Event types after which a request may have ended (a form stopped, its slots were
#: cleared, the conversation restarted or began a new session).
ENDING_EVENTS = frozenset({"active_loop", "restart", "reset_slots", "session_started"})
#: Keys that identify an event rather than say anything: never rewritten (a message id
#: or the sender may contain a run of digits that looks like a phone number).
_IDENTIFIERS = frozenset({"event", "message_id", "sender_id", "timestamp"})


def holds_raw_details(active_loop: str | None, slots: Mapping[str, Any]) -> bool:
    """Tell whether a conversation still needs the raw details of an open request."""
    return bool(active_loop) or any(slots.get(slot) is not None for slot in PERSONAL_SLOTS)


def holds_raw_details_in(events: Iterable[Mapping[str, Any]]) -> bool:
    """Replay serialised events in order and tell whether their request is still open."""
    loop: str | None = None
    slots: dict[str, Any] = {}
    for event in events:
        kind = event.get("event")
        if kind == "active_loop":
            loop = event.get("name")
        elif kind == "slot" and event.get("name") in PERSONAL_SLOTS:
            slots[str(event["name"])] = event.get("value")
        elif kind in ("restart", "session_started"):
            # Rasa resets the whole tracker; slots carried over are set again after it
            loop = None
            slots.clear()
        elif kind == "reset_slots":
            slots.clear()
    return holds_raw_details(loop, slots)


def may_end_a_request(event: Mapping[str, Any]) -> bool:
    """Tell whether an event can end a request: a form stops, a personal slot is cleared."""
    kind = event.get("event")
    if kind == "slot":
        return event.get("name") in PERSONAL_SLOTS and event.get("value") is None
    return kind in ENDING_EVENTS


def mask_event(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a serialised event with every phone and ID number masked.

    A personal slot's value is masked as its field is shown in the read-back
    (``138****5678``, ``1101**********002X``, ``周*``); any other text anywhere in
    the event (the user's words, entities, the parse data, the bot's replies,
    other slots) has the phone and ID numbers inside it masked.
    """
    name = data.get("name")
    value = data.get("value")
    if data.get("event") == "slot" and name in PERSONAL_SLOTS and isinstance(value, str):
        # a value masked before stays as it is (masking a masked phone would star it further)
        masked = value if "*" in value else PERSONAL_SLOTS[str(name)](value)
        return {**data, "value": masked}
    return {key: item if key in _IDENTIFIERS else _mask(item) for key, item in data.items()}


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [_mask(item) for item in value]
    if isinstance(value, dict):
        return {key: item if key in _IDENTIFIERS else _mask(item) for key, item in value.items()}
    return value
