"""Service hours: read from the environment, applied in local time, described in Chinese."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from bot.backend.handoffs import hours
from bot.backend.handoffs.hours import (
    ServiceHoursError,
    describe,
    describe_moment,
    is_open,
    next_opening,
    parse_service_hours,
)
from tests.backend.conftest import Clock

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
    "text",
    [
        "",
        "weekdays 9-5",
        "mon-fri 17:30-09:00",
        "fri-mon 09:00-17:00",
        "mon 09:00-25:00",
        "workdays-fri 09:00-17:00",
        "workdays 17:00-09:00",
    ],
)
def test_unreadable_hours_are_refused(text: str) -> None:
    with pytest.raises(ServiceHoursError):
        parse_service_hours(text)


# --- workdays: China's official calendar (chinesecalendar) ---------------------------------
# 2026: 国庆节 1–7 October (a Thursday to a Wednesday), Saturday 10 October worked in its place;
# 春节 15–23 February, Saturday 14 February worked in its place.


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 10, 1, 10, 0, tzinfo=CQ), False),  # 国庆节, a Thursday
        (datetime(2026, 10, 5, 10, 0, tzinfo=CQ), False),  # 国庆节, a Monday
        (datetime(2026, 10, 8, 10, 0, tzinfo=CQ), True),  # back at work, a Thursday
        (datetime(2026, 10, 10, 10, 0, tzinfo=CQ), True),  # 调休: a Saturday worked
        (datetime(2026, 10, 11, 10, 0, tzinfo=CQ), False),  # the Sunday after it is not
        (datetime(2026, 2, 14, 9, 0, tzinfo=CQ), True),  # 调休 Saturday before 春节
        (datetime(2026, 2, 17, 10, 0, tzinfo=CQ), False),  # 春节, a Tuesday
        (datetime(2026, 11, 27, 17, 30, tzinfo=CQ), False),  # an ordinary Friday, closing minute
        (datetime(2026, 11, 28, 10, 0, tzinfo=CQ), False),  # an ordinary Saturday
    ],
)
def test_workdays_follow_the_official_calendar(moment: datetime, expected: bool) -> None:
    assert is_open(parse_service_hours("workdays 09:00-17:30"), moment) is expected


def test_named_days_ignore_the_calendar() -> None:
    national_day = datetime(2026, 10, 1, 10, 0, tzinfo=CQ)
    worked_saturday = datetime(2026, 10, 10, 10, 0, tzinfo=CQ)
    weekdays = parse_service_hours("mon-fri 09:00-17:30")
    assert is_open(weekdays, national_day) and not is_open(weekdays, worked_saturday)


def test_workdays_mix_with_named_days_and_are_described() -> None:
    windows = parse_service_hours("workdays 09:00-12:00, workdays 13:30-17:30; sun 10:00-12:00")
    assert describe(windows) == "工作日 9:00–12:00；工作日 13:30–17:30；周日 10:00–12:00"
    assert is_open(windows, datetime(2026, 10, 4, 11, 0, tzinfo=CQ))  # a holiday, but Sunday
    assert not is_open(windows, datetime(2026, 10, 10, 12, 30, tzinfo=CQ))  # the lunch break


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # after work on the eve of 国庆节: the next opening is after the holiday week
        (datetime(2026, 9, 30, 18, 0, tzinfo=CQ), datetime(2026, 10, 8, 9, 0, tzinfo=CQ)),
        # Friday evening before the 调休 Saturday: that Saturday morning
        (datetime(2026, 10, 9, 18, 0, tzinfo=CQ), datetime(2026, 10, 10, 9, 0, tzinfo=CQ)),
        # early on a working day: the same morning; inside the hours: now
        (datetime(2026, 11, 27, 7, 45, tzinfo=CQ), datetime(2026, 11, 27, 9, 0, tzinfo=CQ)),
        (datetime(2026, 11, 27, 11, 5, tzinfo=CQ), datetime(2026, 11, 27, 11, 5, tzinfo=CQ)),
        # 春节: from the last working Saturday's evening to the Tuesday after the week off
        (datetime(2026, 2, 14, 18, 0, tzinfo=CQ), datetime(2026, 2, 24, 9, 0, tzinfo=CQ)),
    ],
)
def test_next_opening_knows_the_calendar(moment: datetime, expected: datetime) -> None:
    assert next_opening(parse_service_hours("workdays 09:00-17:30"), moment) == expected


def test_the_next_opening_is_said_plainly() -> None:
    now = datetime(2026, 9, 30, 18, 0, tzinfo=CQ)
    assert describe_moment(datetime(2026, 10, 8, 9, 0, tzinfo=CQ), now) == "10月8日（周四）9:00"
    assert describe_moment(datetime(2026, 10, 1, 9, 0, tzinfo=CQ), now) == "明天（周四）9:00"
    assert describe_moment(datetime(2026, 9, 30, 19, 30, tzinfo=CQ), now) == "今天 19:30"


def test_a_year_without_calendar_data_falls_back_to_weekdays_and_warns_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # chinesecalendar 1.11 has data up to 2026; a year past its data raises NotImplementedError
    monkeypatch.setattr(hours, "_years_without_data", set())
    windows = parse_service_hours("workdays 09:00-17:30")
    with caplog.at_level(logging.WARNING, logger=hours.__name__):
        assert is_open(windows, datetime(2099, 1, 1, 10, 0, tzinfo=CQ))  # a Thursday
        assert not is_open(windows, datetime(2099, 1, 3, 10, 0, tzinfo=CQ))  # a Saturday
        assert next_opening(windows, datetime(2099, 1, 2, 18, 0, tzinfo=CQ)) == datetime(
            2099, 1, 5, 9, 0, tzinfo=CQ
        )
    warnings = [r for r in caplog.records if "no data for 2099" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


def test_the_bot_is_told_holidays_are_closed_and_when_people_answer_again(
    client: TestClient, clock: Clock
) -> None:
    clock.now = datetime(2026, 10, 1, 10, 0, tzinfo=CQ)  # 国庆节, under the default hours
    holiday = client.get("/api/v1/handoffs/availability", params={"channel": "socketio"}).json()
    assert holiday["available"] is False and holiday["reason"] == "outside_hours"
    assert holiday["hours"] == "工作日 9:00–17:30"
    assert datetime.fromisoformat(holiday["next_open"]) == datetime(2026, 10, 8, 9, 0, tzinfo=CQ)
    assert holiday["next_open_text"] == "10月8日（周四）9:00"


def test_the_bot_is_told_a_worked_saturday_is_open(client: TestClient, clock: Clock) -> None:
    clock.now = datetime(2026, 10, 10, 10, 0, tzinfo=CQ)  # 调休: Saturday worked for 国庆节
    saturday = client.get("/api/v1/handoffs/availability", params={"channel": "socketio"}).json()
    # inside the hours: only nobody of the team is online (agent li was seen a fortnight ago)
    assert saturday["reason"] == "no_agent"
    assert datetime.fromisoformat(saturday["next_open"]) == clock.now
    assert saturday["next_open_text"] == ""
