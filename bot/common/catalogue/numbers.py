"""Request numbers: their shape, derived from the kinds' prefixes, and reading them from text."""

from __future__ import annotations

import re
from datetime import datetime

from bot.common import pii
from bot.common.catalogue.kinds import ALL_KINDS
from bot.common.parsers.answers import Validated, normalize_user_text

PREFIXES: dict[str, str] = {kind.code: kind.prefix for kind in ALL_KINDS}
_ALTERNATIVES = "|".join(sorted(PREFIXES.values()))
#: The shape of every number ever handed out; anything else cannot exist.
NUMBER_PATTERN = re.compile(rf"^({_ALTERNATIVES})\d{{8}}-\d{{4,6}}$")
#: A number inside text, with blanks or dashes people type between its parts.
NUMBER_IN_TEXT = rf"(?:{_ALTERNATIVES})\s*\d{{8}}\s*-?\s*\d{{4}}"
_REQUEST_NUMBER = re.compile(
    rf"(?<![A-Z])({_ALTERNATIVES})\s*-?\s*([0-9]{{8}})\s*-?\s*([0-9]{{4}})(?![0-9])"
)


def _fail(reason: str) -> Validated[str]:
    return Validated(error=reason)


def format_number(kind: str, local_day: str, sequence: int) -> str:
    """Format ``HS20261127-0001`` from kind, ``YYYYMMDD`` day and daily sequence."""
    return f"{PREFIXES[kind]}{local_day}-{sequence:04d}"


def kind_of_number(number: str) -> str | None:
    """Return the kind code a number's prefix stands for."""
    return next((code for code, prefix in PREFIXES.items() if number.startswith(prefix)), None)


def parse_phone_last4(text: str | None) -> Validated[str]:
    """Read the last 4 digits of the applicant's phone; a whole mobile number is accepted too."""
    cleaned = _REQUEST_NUMBER.sub(" ", normalize_user_text(text).upper())
    runs = set(re.findall(r"[0-9]+", pii.normalize_digits(cleaned)))
    fours = {r for r in runs if len(r) == 4}
    phones = {p for r in runs if (p := pii.normalize_mobile(r))}
    if len(fours) == 1:
        return Validated(fours.pop())
    if not fours and len(phones) == 1:
        return Validated(phones.pop()[-4:])
    if fours:
        return _fail("请只告诉我一组数字：手机号的后4位。")
    return _fail("请告诉我手机号的后4位数字，例如 5678。")


def parse_request_number(text: str | None) -> Validated[str]:
    """Find one request number and return it as HS20261127-0001 (upper case, with the dash)."""
    cleaned = normalize_user_text(text).upper()
    numbers = list(dict.fromkeys(f"{p}{d}-{s}" for p, d, s in _REQUEST_NUMBER.findall(cleaned)))
    if len(numbers) > 1:
        return _fail("请一次只告诉我一个申请编号。")
    if not numbers:
        return _fail("没找到申请编号。编号形如 HS20261127-0001，请连同开头的字母再发一次。")
    try:
        datetime.strptime(numbers[0][2:10], "%Y%m%d")
    except ValueError:
        return _fail("编号里的日期不对，请再核对一下。编号形如 HS20261127-0001。")
    return Validated(numbers[0])
