"""Parsers for the answers the request kinds add to the common ones: the service or type
wanted, a grade within a known stage, family members moving along, callback details.

Like every parser here they take what the user typed and return `Validated`: a value, or a
polite Chinese reason. They never raise on user input.
"""

from __future__ import annotations

import re
from typing import Any

from bot.common import choices
from bot.common.parsers.answers import (
    Validated,
    counts_in,
    normalize_user_text,
    parse_half_day,
    parse_school_stage_and_grade,
    parse_short_text,
)
from bot.common.parsers.dates import CN_NUMBER, parse_chinese_int

MAX_FAMILY_MEMBERS = 10


def _fail(reason: str) -> Validated[Any]:
    return Validated(error=reason)


def as_text(value: Any) -> str:
    """Turn a slot or form value into text (3.0 → "3"), as the parsers read text."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def parse_housing_type(text: str | None) -> Validated[str]:
    """Read 人才公寓 or 青年人才公租房 (or their codes) from the answer."""
    code = choices.read_choice(
        normalize_user_text(text), choices.HOUSING_TYPES, choices.HOUSING_TYPE_WORDS
    )
    if code is None:
        return _fail("目前可申请“人才公寓”或“青年人才公租房”，请选其中一种。")
    return Validated(code)


def parse_settlement_service(text: str | None) -> Validated[str]:
    """Read which errand is wanted: settling (落户), the personnel file (档案), or both."""
    cleaned = normalize_user_text(text)
    words = dict(choices.SETTLEMENT_SERVICE_WORDS)
    if cleaned not in choices.SETTLEMENT_SERVICES and all(
        any(word in cleaned for word in words[code]) for code in ("settle", "file_transfer")
    ):
        return Validated("both")
    code = choices.read_choice(
        cleaned, choices.SETTLEMENT_SERVICES, choices.SETTLEMENT_SERVICE_WORDS
    )
    if code is None:
        return _fail("请选择要办理的事项：落户、档案转存，或者两项都办。")
    return Validated(code)


def parse_grade(text: str | None, stage: str | None) -> Validated[tuple[str, int]]:
    """Read a grade within the stage known so far ("3" is 小学3年级 there, 中班 in kindergarten)."""
    cleaned = normalize_user_text(text)
    if cleaned.isdigit() and stage != "kindergarten":
        cleaned = f"{cleaned}年级"
    result = parse_school_stage_and_grade(cleaned, stage=stage)
    new_stage, grade = result.value if result.value is not None else ("", None)
    if result.error or grade is None:
        return _fail(result.error or "请告诉我具体几年级，例如“三年级”或“初二”。")
    return Validated((new_stage, grade))


_NONE_MOVING = re.compile(
    r"没有|无人|不带|就我(?:自己|一个)|只有我|一个人来|我一个人|单身|^无$|^不$"
)
_COUNT = re.compile(rf"({CN_NUMBER})\s*(?:口人|口|个人|个|人|位)?")
#: a household counted with the applicant (一家三口, 三口人): the others move along
_HOUSEHOLD = re.compile(rf"({CN_NUMBER})\s*口")
#: relatives named without a number of their own
_RELATIVES = re.compile(r"老婆|妻子|爱人|老公|丈夫|对象|父母|爸|妈|老汉|老人|岳父|岳母|公公|婆婆")
_FAMILY_HINT = "请告诉我有几位家属随您一起迁移（不含您本人），没有就说 0。"


def parse_family_members(text: str | None) -> Validated[int]:
    """Read how many family members move along, 0 to 10 ("2", "两个", "没有")."""
    cleaned = normalize_user_text(text)
    household = {parse_chinese_int(m.group(1)) for m in _HOUSEHOLD.finditer(cleaned)} - {None}
    if len(household) == 1 and (size := household.pop() or 0) >= 1:
        return Validated(size - 1) if size - 1 <= MAX_FAMILY_MEMBERS else _fail(_FAMILY_HINT)
    counts = counts_in(cleaned, _COUNT)
    counts.discard(None)
    if counts <= {1} and _NONE_MOVING.search(cleaned):  # 就我一个 is nobody moving along
        return Validated(0)
    if _RELATIVES.search(cleaned):  # 老婆和两个娃儿: people named beside a count
        return _fail("请直接告诉我一共几位家属随您迁移，例如：3。")
    if len(counts) > 1:
        return _fail("我听到了不止一个数字。" + _FAMILY_HINT)
    if not counts:
        return _fail(_FAMILY_HINT)
    number = counts.pop() or 0
    if not 0 <= number <= MAX_FAMILY_MEMBERS:
        return _fail(f"随迁家属需要在0到{MAX_FAMILY_MEMBERS}人之间。" + _FAMILY_HINT)
    return Validated(number)


def parse_form_of_address(text: str | None) -> Validated[str]:
    """Accept a name or form of address such as 王先生, without digits."""
    result = parse_short_text(text, 30)
    if result.error:
        return result
    if any(char.isdigit() for char in str(result.value)):
        return _fail("称呼里不能有数字，例如：王先生。")
    return result


_ANY_TIME = re.compile(r"^(都可以|都行|随时|随便|没要求|无所谓|不限)$")


def parse_callback_time(text: str | None) -> Validated[str]:
    """Accept a short description of when to call, or "any time"."""
    cleaned = (text or "").strip()
    if _ANY_TIME.match(cleaned):
        return Validated("服务时间内均可")
    return parse_short_text(cleaned, 100)


def parse_school_stage(text: str | None) -> Validated[tuple[str, int | None]]:
    """Read a stage (a code from a button, or words); a grade said with it ("初二") comes too."""
    cleaned = normalize_user_text(text)
    if cleaned in choices.SCHOOL_STAGES:
        return Validated((cleaned, None))
    result = parse_school_stage_and_grade(cleaned)
    if result.error or result.value is None:
        return _fail(result.error or "请从幼儿园、小学、初中、高中中选择一个学段。")
    return result


def parse_half_day_choice(text: str | None) -> Validated[str]:
    """Read morning or afternoon, as words or as the button's code."""
    cleaned = normalize_user_text(text)
    if cleaned in choices.HALF_DAYS:
        return Validated(cleaned)
    result = parse_half_day(cleaned)
    if result.error or result.value is None:
        return _fail(result.error or "请回答“上午”或“下午”。")
    return Validated(str(result.value))
