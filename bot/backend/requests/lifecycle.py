"""Kinds, statuses and the legal moves between statuses (pure, no database)."""

from __future__ import annotations

import re
from typing import Literal, get_args

#: ``callback``: someone asked the hotline to call back (no agent online, or out of hours)
Kind = Literal["housing", "schooling", "hospital", "callback"]
Status = Literal["submitted", "accepted", "in_progress", "completed", "rejected", "cancelled"]
StaffStatus = Literal["accepted", "in_progress", "completed", "rejected"]
Channel = Literal["rest", "socketio", "wechat", "hotline", "cli"]
#: ``annotated``, ``call_summary`` and ``contact_revealed`` are agents' entries (bot/console)
Action = Literal[
    "created", "status_changed", "cancelled", "annotated", "call_summary", "contact_revealed"
]

KINDS: tuple[str, ...] = get_args(Kind)
STATUSES: tuple[str, ...] = get_args(Status)
CHANNELS: tuple[str, ...] = get_args(Channel)

NUMBER_PREFIXES: dict[str, str] = {
    "housing": "HS",
    "schooling": "SC",
    "hospital": "HP",
    "callback": "CB",
}
#: The shape of every number ever handed out; anything else cannot exist.
NUMBER_PATTERN = re.compile(r"^(HS|SC|HP|CB)\d{8}-\d{4,6}$")

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


def format_number(kind: str, local_day: str, sequence: int) -> str:
    """Format ``HS20261127-0001`` from kind, ``YYYYMMDD`` day and daily sequence."""
    return f"{NUMBER_PREFIXES[kind]}{local_day}-{sequence:04d}"
