"""Service hours of the people behind the handoff, e.g. ``workdays 09:00-17:30``.

``workdays`` are China's official working days: Monday to Friday without the
public holidays (国庆节, 春节, ...), plus the 调休 Saturdays and Sundays worked
in their place, as published by the State Council and shipped by PyPI's
``chinesecalendar``. Named days (``mon-fri``, ``sat``) are plain weekdays and
ignore the calendar. For a year the calendar has no data for yet (it is
published each November), ``workdays`` falls back to Monday to Friday and
says so once in the log.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import chinese_calendar

logger = logging.getLogger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKDAYS = "workdays"
_DAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_WINDOW = re.compile(
    r"^(?P<first>[a-z]{3}|workdays)(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)
#: the longest stretch without a working day is the Spring Festival week and its weekends
_LOOKAHEAD_DAYS = 31
_years_without_data: set[int] = set()


def is_workday(day: date) -> bool:
    """Tell whether ``day`` is an official working day in China (Monday to Friday past the data)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # the calendar has no data for this year yet
        if day.year not in _years_without_data:
            _years_without_data.add(day.year)
            logger.warning(
                "the holiday calendar (chinesecalendar) has no data for %d: service hours "
                "use Monday to Friday that year; update chinesecalendar",
                day.year,
            )
        return day.weekday() < 5


class ServiceHoursError(ValueError):
    """The service hours setting cannot be read."""


@dataclass(frozen=True)
class Window:
    """One stretch of service on some days, in minutes after local midnight.

    ``days`` are weekdays (0 is Monday); ``workdays`` means China's working days instead.
    """

    days: frozenset[int]
    start: int
    end: int
    workdays: bool = False

    def serves(self, day: date) -> bool:
        """Tell whether this window opens at all on ``day``."""
        return is_workday(day) if self.workdays else day.weekday() in self.days

    def contains(self, moment: datetime) -> bool:
        """Tell whether a local time falls inside this window."""
        minute = moment.hour * 60 + moment.minute
        return self.start <= minute < self.end and self.serves(moment.date())

    def label(self) -> str:
        """Describe the window in Chinese for users (``周一至周五 9:00–17:30``)."""
        if self.workdays:
            return f"工作日 {_clock(self.start)}–{_clock(self.end)}"
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
    """Read windows separated by ``,`` or ``;`` such as ``workdays 09:00-17:30``."""
    windows = []
    for part in re.split(r"[,;]", text.strip().lower()):
        part = " ".join(part.split())
        if not part:
            continue
        match = _WINDOW.match(part)
        if match is None:
            raise ServiceHoursError(
                f"cannot read service hours {part!r}; e.g. workdays 09:00-17:30"
            )
        if match["first"] == WORKDAYS:
            if match["last"]:
                raise ServiceHoursError(f"{WORKDAYS} takes no day range: {part!r}")
            start, end = _minutes(match["start"]), _minutes(match["end"])
            if end <= start:
                raise ServiceHoursError(f"the window {part!r} ends before it starts")
            windows.append(Window(frozenset(range(5)), start, end, workdays=True))
            continue
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


def next_opening(windows: tuple[Window, ...], moment: datetime) -> datetime | None:
    """Return when people next answer at or after ``moment`` (local, aware); None past a month."""
    minute = moment.hour * 60 + moment.minute
    for offset in range(_LOOKAHEAD_DAYS + 1):
        day = moment.date() + timedelta(days=offset)
        starts = [
            max(window.start, minute) if offset == 0 else window.start
            for window in windows
            if (offset > 0 or minute < window.end) and window.serves(day)
        ]
        if starts:
            first = min(starts)
            if offset == 0 and first == minute:
                return moment
            at = datetime.combine(day, time(), tzinfo=moment.tzinfo)
            return at + timedelta(minutes=first)
    return None


def describe_moment(moment: datetime, now: datetime) -> str:
    """Say a coming local time for users: ``今天 14:00``, ``10月8日（周四）9:00``."""
    clock = _clock(moment.hour * 60 + moment.minute)
    weekday = _DAY_LABELS[moment.weekday()]
    days = (moment.date() - now.date()).days
    if days == 0:
        return f"今天 {clock}"
    if days == 1:
        return f"明天（{weekday}）{clock}"
    return f"{moment.month}月{moment.day}日（{weekday}）{clock}"
