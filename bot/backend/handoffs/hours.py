"""Service hours of the people behind the handoff, e.g. ``mon-fri 09:00-17:30``.

Pure standard library, so the settings can check the value at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_WINDOW = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)


class ServiceHoursError(ValueError):
    """The service hours setting cannot be read."""


@dataclass(frozen=True)
class Window:
    """One stretch of service on some weekdays, in minutes after local midnight."""

    days: frozenset[int]
    start: int
    end: int

    def contains(self, moment: datetime) -> bool:
        """Tell whether a local time falls inside this window."""
        minute = moment.hour * 60 + moment.minute
        return moment.weekday() in self.days and self.start <= minute < self.end

    def label(self) -> str:
        """Describe the window in Chinese for users (``周一至周五 9:00–17:30``)."""
        ordered = sorted(self.days)
        if len(ordered) == 7:
            days = "每天"
        elif ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 1:
            days = f"{_DAY_LABELS[ordered[0]]}至{_DAY_LABELS[ordered[-1]]}"
        else:
            days = "、".join(_DAY_LABELS[day] for day in ordered)
        return f"{days} {_clock(self.start)}–{_clock(self.end)}"


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _minutes(text: str) -> int:
    hours, _, minutes = text.partition(":")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > 24 * 60:
        raise ServiceHoursError(f"not a time of day: {text!r}")
    return value


def _day(name: str) -> int:
    if name not in DAYS:
        raise ServiceHoursError(f"unknown day {name!r}; use {', '.join(DAYS)}")
    return DAYS.index(name)


def parse_service_hours(text: str) -> tuple[Window, ...]:
    """Read windows separated by ``,`` or ``;`` such as ``mon-fri 09:00-17:30``."""
    windows = []
    for part in re.split(r"[,;]", text.strip().lower()):
        part = " ".join(part.split())
        if not part:
            continue
        match = _WINDOW.match(part)
        if match is None:
            raise ServiceHoursError(f"cannot read service hours {part!r}; e.g. mon-fri 09:00-17:30")
        first = _day(match["first"])
        last = _day(match["last"]) if match["last"] else first
        if last < first:
            raise ServiceHoursError(f"days run backwards in {part!r}")
        start, end = _minutes(match["start"]), _minutes(match["end"])
        if end <= start:
            raise ServiceHoursError(f"the window {part!r} ends before it starts")
        windows.append(Window(frozenset(range(first, last + 1)), start, end))
    if not windows:
        raise ServiceHoursError("service hours are empty")
    return tuple(windows)


def is_open(windows: tuple[Window, ...], moment: datetime) -> bool:
    """Tell whether people answer at ``moment`` (a local, aware datetime)."""
    return any(window.contains(moment) for window in windows)


def describe(windows: tuple[Window, ...]) -> str:
    """Describe the hours for users, windows joined by ``；``."""
    return "；".join(window.label() for window in windows)
