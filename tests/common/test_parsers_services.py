"""The parsers the request kinds add: choices, a grade in its stage, family members, callbacks."""

from __future__ import annotations

import pytest

from bot.common.parsers.services import (
    parse_callback_time,
    parse_family_members,
    parse_form_of_address,
    parse_grade,
    parse_half_day_choice,
    parse_housing_type,
    parse_school_stage,
    parse_settlement_service,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("settle", "settle"),
        ("落户", "settle"),
        ("我想把户口迁过来", "settle"),
        ("转档案", "file_transfer"),
        ("人事档案转存", "file_transfer"),
        ("两项都办", "both"),
        ("落户和档案转存", "both"),
        ("户口和档案一起", "both"),
        ("落户和档案转存", "both"),
    ],
)
def test_settlement_services(text: str, code: str) -> None:
    assert parse_settlement_service(text).value == code


def test_an_unknown_settlement_service_asks_again() -> None:
    assert "落户、档案转存" in (parse_settlement_service("买房").error or "")


@pytest.mark.parametrize(
    ("text", "members"),
    [
        ("2", 2),
        ("两个", 2),
        ("俩", 2),
        ("0", 0),
        ("没有", 0),
        ("就我一个", 0),
        ("两个娃儿", 2),
        ("一家三口", 2),
        ("我们家四口人", 3),
    ],
)
def test_family_members(text: str, members: int) -> None:
    assert parse_family_members(text).value == members


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("老婆和两个娃儿", "一共几位"),
        ("十一个", "0到10"),
        ("2个或者3个", "不止一个"),
        ("随便", "几位家属"),
    ],
)
def test_family_members_refused_with_a_reason(text: str, reason: str) -> None:
    assert reason in (parse_family_members(text).error or "")


def test_codes_from_buttons_are_taken_as_they_are() -> None:
    assert parse_housing_type("youth_rental").value == "youth_rental"
    assert parse_housing_type("公祖房").value == "youth_rental"  # a common typo
    assert parse_school_stage("primary").value == ("primary", None)
    assert parse_school_stage("初二").value == ("junior", 2)
    assert parse_half_day_choice("pm").value == "pm"
    assert parse_half_day_choice("下午三点").value == "pm"


def test_a_bare_grade_is_read_within_the_known_stage() -> None:
    assert parse_grade("3", "primary").value == ("primary", 3)
    assert parse_grade("2", "kindergarten").value == ("kindergarten", 2)
    assert "几年级" in (parse_grade("不晓得", "primary").error or "")


def test_callback_details() -> None:
    assert parse_form_of_address("王先生").value == "王先生"
    assert "数字" in (parse_form_of_address("王123").error or "")
    assert parse_callback_time("随时").value == "服务时间内均可"
    assert parse_callback_time("明天下午").value == "明天下午"
