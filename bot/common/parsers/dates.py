"""Read Chinese numerals, months, days and half-days ("下周三上午", "明年3月") against a today.

Pure standard library. Functions raise `DateParseError` whose text is a polite Chinese
reason fit to show the user; the caller picks the allowed range (60 days, 24 months).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

from bot.common.text import to_half_width

__all__ = [
    "CN_NUMBER",
    "DateParseError",
    "HalfDay",
    "date_within",
    "find_date",
    "find_half_day",
    "find_month",
    "month_within",
    "parse_chinese_int",
]

HalfDay = Literal["am", "pm"]

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "仨": 3, "四": 4}
_CN_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
#: A regex for one number written in digits or Chinese numerals (up to 4 characters).
CN_NUMBER = r"(?:\d{1,4}|[零〇一二两俩三仨四五六七八九十]{1,4})"
_N = CN_NUMBER

_YEAR_MONTH = re.compile(rf"({_N})\s*年\s*({_N})\s*月")
_ISO_MONTH = re.compile(r"(?<!\d)(\d{4})\s*[-/.]\s*(\d{1,2})(?!\d)")
_REL_YEAR_MONTH = re.compile(rf"(今年|明年|后年)\s*的?\s*({_N})\s*月")
_MONTHS_LATER = re.compile(rf"({_N})\s*个\s*月\s*(?:后|以后|之后)")
_REL_MONTH = re.compile(r"下下个?月|下个?月|这个?月|本月|当月")
_MONTH = re.compile(rf"({_N})\s*月")
_VAGUE_MONTH = re.compile(
    r"年底|年末|年初|年后|年前|过完年|春节|开春|年中|上半年|下半年|明年|今年|后年"
)

_FULL_DATE = re.compile(
    rf"(?<!\d)(\d{{4}}|[零〇一二三四五六七八九]{{4}})\s*[-/.年]\s*({_N})\s*[-/.月]\s*({_N})(?!\d)"
)
_REL_YEAR_DATE = re.compile(rf"(今年|明年)\s*的?\s*({_N})\s*月\s*({_N})\s*[日号]?")
_REL_MONTH_DAY = re.compile(rf"({_REL_MONTH.pattern})\s*的?\s*({_N})\s*[日号]")
_MONTH_DAY = re.compile(rf"({_N})\s*月\s*({_N})\s*[日号]?")
_SLASH_DATE = re.compile(r"(?<![\d/])(\d{1,2})\s*/\s*(\d{1,2})(?![\d/])")
_DAY_WORD = re.compile(r"大后天|后天|明天|明日|明早|明晚|明儿|今天|今日|今早|今晚|今儿")
_DAY_OFFSETS = {"大": 3, "后": 2, "明": 1, "今": 0}
_DAYS_LATER = re.compile(rf"({_N})\s*天\s*(?:后|以后|之后)")
_WEEKDAY = re.compile(
    r"(下下个?|下个?|这个?|本|上个?)?\s*(?:周|星期|礼拜)\s*([一二三四五六日天1-7])"
)
_WEEKDAY_NUMBERS = {"日": 7, "天": 7} | {c: i for i, c in enumerate("一二三四五六", 1)}
_DAY_ONLY = re.compile(rf"({_N})\s*[日号]")

_AM_STRONG = re.compile(r"上午|早上|早晨|清早|上半天|(?<![a-z])am(?![a-z])|a\.m\.", re.IGNORECASE)
_PM_STRONG = re.compile(
    r"下午|中午后|午后|傍晚|晚上|下半天|(?<![a-z])pm(?![a-z])|p\.m\.", re.IGNORECASE
)

_NO_DAY = "没听明白是哪一天。可以这样说：明天上午、下周三下午、12月5号。"


class DateParseError(ValueError):
    """Text holds no usable date or month; str(error) is a polite Chinese reason."""


def parse_chinese_int(text: str) -> int | None:
    """Read "12", "十二", "二十三", "两" or a year spelled digit by digit ("二〇二七")."""
    text = to_half_width(text).strip()
    if text.isdecimal():
        return int(text)
    if not text or any(c not in _CN_DIGITS and c != "十" for c in text):
        return None
    if "十" not in text:  # one digit, or a year said digit by digit; "三四" (3 or 4) is None
        if len(text) not in (1, 4):
            return None
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def _int(text: str) -> int:
    value = parse_chinese_int(text)
    if value is None:
        raise DateParseError(f"没听明白“{text}”是几，请用数字再说一次，例如：2027年1月、12月5号。")
    return value


def _year(text: str) -> int:
    year = _int(text)
    return 2000 + year if year < 100 else year


def _check_month(year: int, month: int) -> tuple[int, int]:
    if not 1 <= month <= 12:
        raise DateParseError(f"没有{month}月，请说1到12月中的一个月份。")
    return year, month


def find_month(text: str, today: date) -> tuple[int, int]:
    """Find the (year, month) meant; a bare "3月" is its next occurrence, this month included."""
    text = to_half_width(text)
    if m := _YEAR_MONTH.search(text):
        return _check_month(_year(m.group(1)), _int(m.group(2)))
    if m := _ISO_MONTH.search(text):
        return _check_month(int(m.group(1)), int(m.group(2)))
    if m := _REL_YEAR_MONTH.search(text):
        offset = {"今年": 0, "明年": 1, "后年": 2}[m.group(1)]
        return _check_month(today.year + offset, _int(m.group(2)))
    if m := _MONTHS_LATER.search(text):
        return _add_months(today, _int(m.group(1)))
    if m := _REL_MONTH.search(text):
        return _add_months(today, _month_offset(m.group()))
    if m := _MONTH.search(text):
        year, month = _check_month(today.year, _int(m.group(1)))
        return (year, month) if month >= today.month else (year + 1, month)
    if _VAGUE_MONTH.search(text):
        raise DateParseError("请告诉我具体是哪一个月，例如：2027年1月、明年3月、下个月。")
    raise DateParseError("没听明白是哪个月。可以这样说：2027年1月、明年3月、下个月。")


def _month_offset(word: str) -> int:
    return 2 if word.startswith("下下") else 1 if word.startswith("下") else 0


def _add_months(today: date, months: int) -> tuple[int, int]:
    index = today.year * 12 + today.month - 1 + months
    return index // 12, index % 12 + 1


def _make_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateParseError(f"{month}月没有{day}号，请再确认一下日期。") from None


def _next_month_day(month: int, day: int, today: date) -> date:
    """Pick this year's date, or next year's when this year's has passed but next is near."""
    candidate = _make_date(today.year, month, day)
    if candidate >= today:
        return candidate
    next_year = _make_date(today.year + 1, month, day)
    if (next_year - today).days <= 62:  # "1月5号" said in December
        return next_year
    raise DateParseError(f"{month}月{day}号已经过去了，请说一个今天以后的日期。")


def _weekday_date(prefix: str | None, target: int, today: date) -> date:
    name = "日" if target == 7 else "一二三四五六"[target - 1]
    monday = today - timedelta(days=today.isoweekday() - 1)
    if not prefix:
        return today + timedelta(days=(target - today.isoweekday()) % 7 or 7)
    if prefix.startswith("上"):
        raise DateParseError(f"上周{name}已经过去了，请说一个今天以后的日期。")
    weeks = 2 if prefix.startswith("下下") else 1 if prefix.startswith("下") else 0
    day = monday + timedelta(weeks=weeks, days=target - 1)
    if day < today:
        raise DateParseError(f"这周{name}已经过去了，您是说下周{name}吗？")
    return day


def find_date(text: str, today: date) -> date:
    """Find the calendar day meant; a bare weekday ("周五") is the next one after today."""
    text = to_half_width(text)
    if m := _FULL_DATE.search(text):
        return _make_date(_int(m.group(1)), _int(m.group(2)), _int(m.group(3)))
    if m := _REL_YEAR_DATE.search(text):
        year = today.year + (m.group(1) == "明年")
        return _make_date(year, _int(m.group(2)), _int(m.group(3)))
    if m := _REL_MONTH_DAY.search(text):
        year, month = _add_months(today, _month_offset(m.group(1)))
        return _make_date(year, month, _int(m.group(2)))
    if m := _MONTH_DAY.search(text) or _SLASH_DATE.search(text):
        return _next_month_day(_int(m.group(1)), _int(m.group(2)), today)
    if m := _DAY_WORD.search(text):
        return today + timedelta(days=_DAY_OFFSETS[m.group()[0]])
    if m := _DAYS_LATER.search(text):
        return today + timedelta(days=_int(m.group(1)))
    if m := _WEEKDAY.search(text):
        return _weekday_date(m.group(1), _WEEKDAY_NUMBERS.get(m.group(2)) or int(m.group(2)), today)
    if m := _DAY_ONLY.search(text):
        day = _int(m.group(1))
        if 1 <= day <= 31 and day >= today.day:
            return _make_date(today.year, today.month, day)
        year, month = _add_months(today, 1)
        return _make_date(year, month, day)
    raise DateParseError(_NO_DAY)


def month_within(text: str, today: date, max_months: int) -> str:
    """Return the month meant as "YYYY-MM" if it lies from this month to `max_months` ahead."""
    year, month = find_month(text, today)
    ahead = (year - today.year) * 12 + month - today.month
    if ahead < 0:
        raise DateParseError(f"{year}年{month}月已经过去了，请说一个从本月开始的月份。")
    if ahead > max_months:
        raise DateParseError(f"最多只能选{max_months}个月以内的月份，请说一个更近的月份。")
    return f"{year:04d}-{month:02d}"


def date_within(text: str, today: date, max_days: int) -> date:
    """Return the day meant if it lies from today to `max_days` ahead."""
    day = find_date(text, today)
    if day < today:
        raise DateParseError(f"{day.month}月{day.day}日已经过去了，请说一个今天以后的日期。")
    last = today + timedelta(days=max_days)
    if day > last:
        raise DateParseError(
            f"只能预约{max_days}天以内的日期（最晚{last.month}月{last.day}日），请换一天。"
        )
    return day


def find_half_day(text: str) -> HalfDay | None:
    """Say whether text means morning or afternoon; None when it says neither or both."""
    text = to_half_width(text)
    am, pm = bool(_AM_STRONG.search(text)), bool(_PM_STRONG.search(text))
    if not am and not pm:  # single characters only count when nothing clearer was said
        am, pm = "早" in text, "晚" in text
    if am == pm:
        return None
    return "am" if am else "pm"
