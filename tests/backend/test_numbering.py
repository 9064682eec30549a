"""Request numbers: prefix, Chongqing local date and a per-kind daily sequence."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.backend.requests.lifecycle import format_number
from bot.backend.requests.numbering import next_number
from tests.backend import payloads
from tests.backend.conftest import Clock, Submit


def test_each_kind_counts_on_its_own(submit: Submit) -> None:
    numbers = [
        submit(payloads.housing()).json()["number"],
        submit(payloads.hospital()).json()["number"],
        submit(payloads.housing()).json()["number"],
        submit(payloads.schooling()).json()["number"],
        submit(payloads.hospital()).json()["number"],
        submit(payloads.housing()).json()["number"],
    ]
    assert numbers == [
        "HS20261127-0001",
        "HP20261127-0001",
        "HS20261127-0002",
        "SC20261127-0001",
        "HP20261127-0002",
        "HS20261127-0003",
    ]


def test_the_sequence_restarts_each_local_day(submit: Submit, clock: Clock) -> None:
    assert submit(payloads.housing()).json()["number"] == "HS20261127-0001"
    assert submit(payloads.housing()).json()["number"] == "HS20261127-0002"
    clock.now += timedelta(days=1)
    assert submit(payloads.housing()).json()["number"] == "HS20261128-0001"


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2026, 11, 27, 15, 59, tzinfo=timezone.utc), "HS20261127-0001"),
        (datetime(2026, 11, 27, 16, 0, tzinfo=timezone.utc), "HS20261128-0001"),
    ],
    ids=["23:59-local", "00:00-local"],
)
def test_the_date_is_chongqing_local_time(
    submit: Submit, clock: Clock, utc: datetime, expected: str
) -> None:
    clock.now = utc
    assert submit(payloads.housing()).json()["number"] == expected


def test_a_refused_request_does_not_use_up_a_number(submit: Submit) -> None:
    assert submit(payloads.housing(district="火星区")).status_code == 422
    assert submit(payloads.housing()).json()["number"] == "HS20261127-0001"


def test_next_number_is_atomic_per_kind_and_day(engine: Engine) -> None:
    day = date(2026, 11, 27)
    with Session(engine) as session:
        taken = [next_number(session, kind="hospital", local_date=day) for _ in range(3)]
        taken.append(next_number(session, kind="hospital", local_date=day + timedelta(days=1)))
        session.commit()
    assert taken == [
        "HP20261127-0001",
        "HP20261127-0002",
        "HP20261127-0003",
        "HP20261128-0001",
    ]


def test_a_rolled_back_number_is_handed_out_again(engine: Engine) -> None:
    day = date(2026, 11, 27)
    with Session(engine) as session:
        assert next_number(session, kind="housing", local_date=day) == "HS20261127-0001"
        session.rollback()
        assert next_number(session, kind="housing", local_date=day) == "HS20261127-0001"


def test_format_number_pads_to_four_digits() -> None:
    assert format_number("schooling", "20261127", 7) == "SC20261127-0007"
    assert format_number("hospital", "20261231", 10_000) == "HP20261231-10000"


def test_local_day_of_the_fixture_clock() -> None:
    assert Clock().now.astimezone(ZoneInfo("Asia/Shanghai")).hour == 10
