"""Kinds, statuses and the legal moves between statuses (pure, no database)."""

from __future__ import annotations

from typing import Literal, get_args

from bot.common.catalogue import KINDS as CATALOGUE
from bot.common.catalogue.numbers import NUMBER_PATTERN as NUMBER_PATTERN
from bot.common.catalogue.numbers import PREFIXES
from bot.common.catalogue.numbers import format_number as format_number

#: The request catalogue's kinds (bot/common/catalogue), spelt out for the API's types;
#: ``callback``: someone asked the hotline to call back (no agent online, or out of hours)
Kind = Literal["housing", "schooling", "hospital", "settlement", "callback"]
Status = Literal["submitted", "accepted", "in_progress", "completed", "rejected", "cancelled"]
StaffStatus = Literal["accepted", "in_progress", "completed", "rejected"]
Channel = Literal["rest", "socketio", "wechat", "hotline", "cli"]
#: ``annotated``, ``call_summary`` and ``contact_revealed`` are agents' entries (bot/console)
Action = Literal[
    "created",
    "status_changed",
    "cancelled",
    "annotated",
    "call_summary",
    "contact_revealed",
    "anonymised",
]

KINDS: tuple[str, ...] = get_args(Kind)
if set(KINDS) != set(CATALOGUE):  # the two processes must never disagree on the kinds
    raise RuntimeError(f"backend kinds {KINDS} differ from the catalogue's {tuple(CATALOGUE)}")
STATUSES: tuple[str, ...] = get_args(Status)
CHANNELS: tuple[str, ...] = get_args(Channel)

NUMBER_PREFIXES: dict[str, str] = PREFIXES

STATUS_LABELS: dict[str, str] = {
    "submitted": "已提交",
    "accepted": "已受理",
    "in_progress": "办理中",
    "completed": "已办结",
    "rejected": "未通过",
    "cancelled": "已取消",
}

#: Moves staff may make; the applicant's cancellation is separate below.
STAFF_TRANSITIONS: dict[str, frozenset[str]] = {
    "submitted": frozenset({"accepted"}),
    "accepted": frozenset({"in_progress"}),
    "in_progress": frozenset({"completed", "rejected"}),
}
CANCELLABLE: frozenset[str] = frozenset({"submitted", "accepted", "in_progress"})
FINAL: frozenset[str] = frozenset({"completed", "rejected", "cancelled"})

APPLICANT_ACTOR = "applicant"
SYSTEM_ACTOR = "system"


def can_move(current: str, target: str) -> bool:
    """Tell whether staff may move a request from ``current`` to ``target``."""
    return target in STAFF_TRANSITIONS.get(current, frozenset())


def can_cancel(current: str) -> bool:
    """Tell whether the applicant may still cancel a request in ``current``."""
    return current in CANCELLABLE
