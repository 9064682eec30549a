"""Finding the hospital and department a user names."""

from __future__ import annotations

import pytest

from actions.hospitals import match_department, match_hospital

HOSPITALS = [
    {
        "code": "xinan",
        "name": "陆军军医大学第一附属医院",
        "short_names": ["西南医院"],
        "departments": ["骨科", "心血管内科"],
    },
    {
        "code": "xinqiao",
        "name": "陆军军医大学第二附属医院",
        "short_names": ["新桥医院"],
        "departments": ["骨科"],
    },
    {
        "code": "cqmu1",
        "name": "重庆医科大学附属第一医院",
        "short_names": ["重医附一院", "附一院"],
        "departments": ["眼科"],
    },
]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("西南医院", "xinan"),
        ("我想去新桥医院看看", "xinqiao"),
        ("重庆医科大学附属第一医院", "cqmu1"),
        ("附一院嘛", "cqmu1"),
        ("新桥", "xinqiao"),
        ("陆军军医大学", None),  # two hospitals match: ask, don't guess
        ("北京协和医院", None),
        ("", None),
    ],
)
def test_match_hospital(text: str, code: str | None) -> None:
    found = match_hospital(text, HOSPITALS)
    assert (found["code"] if found else None) == code


@pytest.mark.parametrize(
    ("text", "department"),
    [("骨科", "骨科"), ("看心内科", "心血管内科"), ("心血管", "心血管内科"), ("牙科", None)],
)
def test_match_department(text: str, department: str | None) -> None:
    assert match_department(text, ["骨科", "心血管内科", "眼科"]) == department


def test_a_half_day_read_as_a_date_keeps_the_date_and_fills_the_half_day() -> None:
    """ "上午" answering 上午还是下午 must not wipe the date and ask for it again."""
    from rasa_sdk.executor import CollectingDispatcher

    from actions.hospitals import ValidateHospitalForm
    from tests.actions.conftest import make_tracker

    tracker = make_tracker(
        {"visit_date": "上午", "requested_slot": "half_day"},
        text="上午",
        entities=[{"entity": "visit_date", "value": "上午"}],
    )
    tracker.events.insert(0, {"event": "slot", "name": "visit_date", "value": "2026-12-02"})
    tracker.events.append({"event": "slot", "name": "visit_date", "value": "上午"})
    dispatcher = CollectingDispatcher()
    result = ValidateHospitalForm().validate_visit_date("上午", dispatcher, tracker, {})
    assert result["visit_date"] == "2026-12-02" and result["half_day"] == "am"
    assert dispatcher.messages == []
