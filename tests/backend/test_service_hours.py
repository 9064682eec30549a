"""Service hours: read from the environment, applied in local time, described in Chinese."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.backend.handoffs.hours import ServiceHoursError, describe, is_open, parse_service_hours

CQ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 27, 9, 0, tzinfo=CQ), True),  # a Friday, opening minute
        (datetime(2026, 11, 27, 17, 29, tzinfo=CQ), True),
        (datetime(2026, 11, 27, 17, 30, tzinfo=CQ), False),  # closing minute is closed
        (datetime(2026, 11, 27, 8, 59, tzinfo=CQ), False),
        (datetime(2026, 11, 28, 10, 0, tzinfo=CQ), False),  # Saturday
    ],
)
def test_weekday_office_hours(moment: datetime, expected: bool) -> None:
    assert is_open(parse_service_hours("mon-fri 09:00-17:30"), moment) is expected


def test_several_windows_and_round_the_clock() -> None:
    windows = parse_service_hours("mon-fri 09:00-12:00, mon-fri 13:30-17:30; sat 09:00-12:00")
    assert not is_open(windows, datetime(2026, 11, 27, 12, 30, tzinfo=CQ))
    assert is_open(windows, datetime(2026, 11, 28, 11, 0, tzinfo=CQ))
    always = parse_service_hours("mon-sun 00:00-24:00")
    assert is_open(always, datetime(2026, 11, 29, 23, 59, tzinfo=CQ))
    assert describe(always) == "每天 0:00–24:00"


def test_described_for_users() -> None:
    windows = parse_service_hours("MON-FRI 09:00-17:30; sat 9:00-12:00")
    assert describe(windows) == "周一至周五 9:00–17:30；周六 9:00–12:00"


@pytest.mark.parametrize(
    "text", ["", "weekdays 9-5", "mon-fri 17:30-09:00", "fri-mon 09:00-17:00", "mon 09:00-25:00"]
)
def test_unreadable_hours_are_refused(text: str) -> None:
    with pytest.raises(ServiceHoursError):
        parse_service_hours(text)
