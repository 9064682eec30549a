"""Pure parsers behind the form validators: free Chinese text in, a value or a polite reason out.

Every `parse_*` takes what the user typed (surrounding words and Chongqing dialect are fine,
e.g. "要得，娃儿读小学三年级") and returns `Validated`: `value` on success, otherwise `error`,
a Chinese sentence that says what was wrong and how to answer. They never raise on user input.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from bot.common import choices, pii
from bot.common.parsers.dates import (
    CN_NUMBER,
    DateParseError,
    HalfDay,
    date_within,
    find_half_day,
    month_within,
    parse_chinese_int,
)
from bot.common.reference import match_districts
from bot.common.text import has_words

T = TypeVar("T")

MAX_VISIT_DAYS = 60
MAX_MOVE_IN_MONTHS = 24
MAX_HOUSEHOLD = 10
#: Stage code → (Chinese name, number of grades), from the shared choices.
SCHOOL_STAGES = {code: (stage.name, stage.grades) for code, stage in choices.SCHOOL_STAGES.items()}


@dataclass(frozen=True)
class Validated(Generic[T]):
    """The outcome of parsing one answer: a value, or a reason to show the user."""

    value: T | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Tell whether the answer was accepted."""
        return self.error is None


def _fail(reason: str) -> Validated[Any]:
    return Validated(error=reason)


def normalize_user_text(text: str | None, max_len: int = 500) -> str:
    """Fold full-width characters, collapse whitespace and cap the length before parsing."""
    return " ".join(pii.fold_width(text or "").split())[:max_len]


def parse_mobile(text: str | None) -> Validated[str]:
    """Find one mainland mobile number; +86, spaces, dashes and full-width digits are fine."""
    cleaned = normalize_user_text(text)
    phones = list(dict.fromkeys(pii.find_mobiles(cleaned)))
    if len(phones) == 1:
        return Validated(phones[0])
    if phones:
        return _fail("您给了不止一个手机号，请只留一个。")
    runs = [r.lstrip("+") for r in re.findall(r"\+?[0-9]+", pii.normalize_digits(cleaned))]
    digits = next((r for r in runs if len(r) == 11), max(runs, key=len, default=""))
    if len(digits) < 5:
        return _fail("没找到手机号，请直接输入11位手机号码，例如 13812345678。")
    if digits.startswith("0"):
        return _fail("这看起来是座机号码，请留一个11位的手机号。")
    if len(digits) != 11:
        return _fail(f"手机号位数不对：应为11位，您输入的是{len(digits)}位，请再核对一下。")
    return _fail("这个号码不像手机号（手机号以13到19开头），请再核对一下。")


_ID_REASONS = {
    "region": "身份证号前6位的地区码不对，请再核对一下。",
    "birth_date": "身份证号里的出生日期不对，请再核对一下。",
    "check_digit": "身份证号校验位不对，可能有一位输错了，请再核对一下。",
}


def parse_resident_id(text: str | None, *, today: date | None = None) -> Validated[str]:
    """Find one 18-character resident ID and check its birth date and check digit."""
    cleaned = normalize_user_text(text)
    candidates = pii.find_id_numbers(cleaned)
    for candidate in candidates:
        if pii.resident_id_problem(candidate, today=today) is None:
            return Validated(candidate)
    if candidates:
        problem = pii.resident_id_problem(candidates[0], today=today) or "check_digit"
        return _fail(_ID_REASONS.get(problem, _ID_REASONS["check_digit"]))
    longest = max(re.findall(r"[0-9]+[Xx]?", pii.normalize_digits(cleaned)), key=len, default="")
    if len(longest) == 15:
        return _fail("这是15位的老身份证号，请提供18位的身份证号码。")
    if len(longest) >= 8:
        return _fail(f"身份证号位数不对：应为18位，您输入的是{len(longest)}位，请再核对一下。")
    return _fail("没找到身份证号，请直接输入18位身份证号码。")


def parse_district(text: str | None) -> Validated[str]:
    """Find the one Chongqing district or county meant; the value is its official name."""
    found = match_districts(normalize_user_text(text))
    if len(found) == 1:
        return Validated(found[0].name)
    if found:
        names = "、".join(d.name for d in found)
        return _fail(f"您提到了{names}，请只说一个区县。")
    return _fail("没听出是重庆的哪个区县。请直接说区县名称，例如：渝北区、九龙坡区、两江新区。")


_COUNT = re.compile(
    rf"({CN_NUMBER})\s*(?:口人|口子|口|个人|人|位|个)(?!\s*(?:孩子|娃|小孩|小朋友|老人|大人|儿子|女儿))"
)
_FAMILY_WORDS = re.compile(
    r"老婆|妻子|爱人|老公|丈夫|对象|孩子|娃|小孩|儿子|女儿|父母|爸|妈|老人|家属|和|跟"
)
_ALONE = re.compile(r"就我自己|我自己|只有我|单身|独居")
_HOUSEHOLD_HINT = "请直接告诉我一共几口人（包括您自己），例如：3。"


def counts_in(cleaned: str, pattern: re.Pattern[str]) -> set[int | None]:
    """Return every count the pattern's first group finds, with 俩 (2) and 仨 (3)."""
    counts = {parse_chinese_int(m.group(1)) for m in pattern.finditer(cleaned)}
    return counts | {{"俩": 2, "仨": 3}[c] for c in re.findall(r"[俩仨]", cleaned)}


def parse_household_size(text: str | None) -> Validated[int]:
    """Read how many people will live in the home, 1 to 10, from "3" / "一家三口" / "两个人"."""
    cleaned = normalize_user_text(text)
    counts = counts_in(cleaned, _COUNT)
    if not counts and re.fullmatch(CN_NUMBER, cleaned):
        counts = {parse_chinese_int(cleaned)}
    if not counts and _ALONE.search(cleaned) and not _FAMILY_WORDS.search(cleaned):
        counts = {1}
    if len(counts) > 1:
        return _fail("我听到了不止一个数字。" + _HOUSEHOLD_HINT)
    if not counts or None in counts:
        return _fail(_HOUSEHOLD_HINT)
    size = counts.pop() or 0
    if not 1 <= size <= MAX_HOUSEHOLD:
        return _fail(f"家庭人数需要在1到{MAX_HOUSEHOLD}人之间。" + _HOUSEHOLD_HINT)
    return Validated(size)


def parse_move_in_month(text: str | None, today: date) -> Validated[str]:
    """Read the planned move-in month as "YYYY-MM", from this month to 24 months ahead."""
    try:
        return Validated(month_within(normalize_user_text(text), today, MAX_MOVE_IN_MONTHS))
    except DateParseError as error:
        return _fail(str(error))


def parse_visit_date(text: str | None, today: date) -> Validated[tuple[date, HalfDay | None]]:
    """Read a visit day from today to 60 days ahead, plus the half-day if one was said."""
    cleaned = normalize_user_text(text)
    try:
        return Validated((date_within(cleaned, today, MAX_VISIT_DAYS), find_half_day(cleaned)))
    except DateParseError as error:
        return _fail(str(error))


def parse_half_day(text: str | None) -> Validated[HalfDay]:
    """Read morning ("上午", "早上") or afternoon ("下午", "晚") from the answer."""
    half_day = find_half_day(normalize_user_text(text))
    if half_day is None:
        return _fail("请回答“上午”或“下午”中的一个。")
    return Validated(half_day)


_FILLER = re.compile(r"^(?:好的|好|嗯+|要得|可以|行|ok)\s*[,.!~]+\s*", re.IGNORECASE)
_NAME_MARKER = re.compile(
    r"我的?(?:名字|姓名)?(?:叫做|叫|是)|(?:名字|姓名)\s*(?:叫做|叫|是|:)|叫做|叫"
)
_NAME_TAIL = re.compile(r"(?<=..)[哈哦呀啦嘛噻哟]+$|[\s.,!?~:;…。！？、]+$")
_NAME_DOT = re.compile(r"(?<=[^\x00-\x7f])\s*[.•・‧･·]\s*(?=[^\x00-\x7f])")
_LOOKS_LIKE_CODE = re.compile(
    r"https?:|www\.|\.(?:com|cn|net|org)\b|[<>{}\[\]();=\\`\"/@#$%^&*+|]|--"
    r"|\b(?:select|insert|update|delete|drop|union|script|alert)\b",
    re.IGNORECASE,
)


def _is_name_char(char: str) -> bool:
    name = unicodedata.name(char, "")
    return name.startswith("CJK") and "IDEOGRAPH" in name or char in "· -'." or "LATIN" in name


_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs"})  # control, format (ZWJ, RTL override), private
_NOT_IN_NAMES = _INVISIBLE | {"So", "Sk"}  # and emoji or other symbols


def parse_person_name(text: str | None) -> Validated[str]:
    """Read a 2-20 character name (Chinese with ·, or Latin) from "我叫张三" and the like."""
    visible = "".join(c for c in text or "" if unicodedata.category(c) not in _NOT_IN_NAMES)
    cleaned = _FILLER.sub("", normalize_user_text(visible, 200))
    markers = list(_NAME_MARKER.finditer(cleaned))
    name = cleaned[markers[-1].end() :] if markers else cleaned
    name = _NAME_TAIL.sub("", name.strip(" :,")).strip()
    name = _NAME_DOT.sub("·", re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "", name)).strip("·")
    if not name:
        return _fail("请用文字告诉我您的姓名，例如：张三。")
    if _LOOKS_LIKE_CODE.search(name):
        return _fail("姓名里有不支持的符号，请只输入姓名，例如：张三。")
    if any(c.isdigit() for c in name):
        return _fail("姓名里不能有数字，请只告诉我姓名，例如：张三。")
    if not all(_is_name_char(c) for c in name) or "··" in name:
        return _fail("姓名只能包含汉字、字母和间隔号“·”，请再输入一次。")
    if not 2 <= len(name) <= 20 or name[0] in "我姓":  # "我姓张" gives only the surname
        return _fail("姓名应为2到20个字，请输入完整的姓名。")
    return Validated(name)


def parse_short_text(text: str | None, max_len: int = 100) -> Validated[str]:
    """Accept a short free answer (a reason, a school) with control characters removed."""
    visible = (c for c in text or "" if c.isspace() or unicodedata.category(c) not in _INVISIBLE)
    cleaned = " ".join("".join(visible).split())
    if not cleaned:
        return _fail("这一项不能为空，请用几个字说明一下。")
    if not has_words(cleaned):
        return _fail("请用文字说明一下，不要只发表情或符号。")
    if len(cleaned) > max_len:
        return _fail(f"内容有点长了，请控制在{max_len}个字以内。")
    return Validated(cleaned)


_TRANSITIONS = {"幼升小": ("primary", 1), "小升初": ("junior", 1), "初升高": ("senior", 1)}
_STAGE_WORDS = {"幼儿园": "kindergarten", "幼稚园": "kindergarten", "小学": "primary"}
_STAGE_WORDS |= {"初中": "junior", "高中": "senior"}
_SHORT_GRADE = re.compile(r"(初|高)\s*([一二三四五六1-6])")
_KG_CLASS = re.compile(r"(?<![初高])(小|中|大)班")
_GRADE = re.compile(rf"({CN_NUMBER})\s*年级")
_GRADE_OFFSETS = {"junior": 6, "senior": 9}  # 七年级 is 初一, 十年级 is 高一
_STAGE_HINT = "请告诉我孩子读哪个学段、几年级，例如：小学三年级、初二、幼儿园中班。"


def _stage_grade(stage: str, grade: int | None) -> Validated[tuple[str, int | None]]:
    name, grades = SCHOOL_STAGES[stage]
    if grade is not None and not 1 <= grade <= grades:
        if stage == "kindergarten":
            return _fail("幼儿园只有小班、中班、大班，请再确认一下。")
        return _fail(f"{name}只有{grades}个年级，请再确认一下孩子读几年级。")
    return Validated((stage, grade))


def parse_school_stage_and_grade(
    text: str | None, stage: str | None = None
) -> Validated[tuple[str, int | None]]:
    """Read the stage and grade ("小学三年级", "初二", "中班"); `stage` is the one known so far.

    A stage without a grade ("上小学") gives grade None: ask for the grade next. A bare grade
    ("三年级", "3") uses `stage` if given, else the stage its number implies (七年级 → 初一).
    """
    cleaned = normalize_user_text(text)
    for word, result in _TRANSITIONS.items():
        if word in cleaned:
            return Validated(result)
    if m := _SHORT_GRADE.search(cleaned):
        return _stage_grade(
            "junior" if m.group(1) == "初" else "senior", parse_chinese_int(m.group(2))
        )
    if m := _KG_CLASS.search(cleaned):
        return _stage_grade("kindergarten", "小中大".index(m.group(1)) + 1)
    if "大学" in cleaned:
        return _fail("目前只办理幼儿园到高中的入学咨询。" + _STAGE_HINT)
    said = next((code for word, code in _STAGE_WORDS.items() if word in cleaned), None)
    known = said or (stage if stage in SCHOOL_STAGES else None)
    m = _GRADE.search(cleaned)
    bare = known is not None and re.fullmatch(CN_NUMBER, cleaned) is not None
    grade = parse_chinese_int(m.group(1) if m else cleaned) if m or bare else None
    if grade is None:
        return Validated((said, None)) if said else _fail(_STAGE_HINT)
    if known is None:
        known = "primary" if grade <= 6 else "junior" if grade <= 9 else "senior"
    offset = _GRADE_OFFSETS.get(known, 0)
    if offset and offset < grade <= offset + 3:
        grade -= offset
    return _stage_grade(known, grade)
