"""Request numbers: their shape, derived from the kinds' prefixes, and reading them from text.

Numbers handed out today carry four random digits and a check letter
(``HS20261129-4827K``), so nobody can walk from one number to the next; the
letter catches a mistyped digit before any lookup. Older numbers
(``HS20261127-0001``, a daily sequence) stay valid. Both shapes still match the
NLU's request-number regex in ``data/nlu/regexes.yml`` up to the digits; the
status and cancel forms read the check letter from the message text.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from bot.common import pii
from bot.common.catalogue.kinds import ALL_KINDS
from bot.common.parsers.answers import Validated, normalize_user_text

PREFIXES: dict[str, str] = {kind.code: kind.prefix for kind in ALL_KINDS}
_ALTERNATIVES = "|".join(sorted(PREFIXES.values()))
#: The shape of every number ever handed out; anything else cannot exist.
#: Check letters: no I or O, which read like 1 and 0.
CHECK_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
NUMBER_PATTERN = re.compile(rf"^({_ALTERNATIVES})\d{{8}}-(\d{{4,6}}|\d{{4}}[{CHECK_LETTERS}])$")
#: A number inside text, with blanks or dashes people type between its parts.
NUMBER_IN_TEXT = rf"(?:{_ALTERNATIVES})\s*\d{{8}}\s*-?\s*\d{{4}}[A-Za-z]?"
_REQUEST_NUMBER = re.compile(
    rf"(?<![A-Z])({_ALTERNATIVES})\s*-?\s*([0-9]{{8}})\s*-?\s*([0-9]{{4}})"
    r"(?:([A-Z])(?![A-Z0-9]))?(?![0-9])"
)


def _fail(reason: str) -> Validated[str]:
    return Validated(error=reason)


def format_number(kind: str, local_day: str, sequence: int) -> str:
    """Format the older, sequential ``HS20261127-0001`` from kind, day and daily sequence."""
    return f"{PREFIXES[kind]}{local_day}-{sequence:04d}"


def check_letter(body: str) -> str:
    """Return the check letter of ``HS20261129-4827``: a weighted sum, so a swap is caught too."""
    digits = [ord(c) for c in body.replace("-", "")]
    total = sum((i + 1) * value for i, value in enumerate(digits))
    return CHECK_LETTERS[total % len(CHECK_LETTERS)]


def format_random_number(kind: str, local_day: str, digits: str | None = None) -> str:
    """Format a new number: prefix, day, four random digits and their check letter."""
    digits = digits if digits is not None else f"{secrets.randbelow(10_000):04d}"
    body = f"{PREFIXES[kind]}{local_day}-{digits}"
    return body + check_letter(body)


def check_letter_ok(number: str) -> bool:
    """Tell whether a number's check letter fits (older numbers have none and pass)."""
    if not number or not number[-1].isalpha():
        return True
    return check_letter(number[:-1]) == number[-1]


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
    numbers = list(
        dict.fromkeys(f"{p}{d}-{s}{c}" for p, d, s, c in _REQUEST_NUMBER.findall(cleaned))
    )
    if len(numbers) > 1:
        return _fail("请一次只告诉我一个申请编号。")
    if not numbers:
        return _fail("没找到申请编号。编号形如 HS20261127-0001，请连同开头的字母再发一次。")
    try:
        datetime.strptime(numbers[0][2:10], "%Y%m%d")
    except ValueError:
        return _fail("编号里的日期不对，请再核对一下。编号形如 HS20261127-0001。")
    if not check_letter_ok(numbers[0]):
        return _fail("编号最后的校验字母与前面的数字对不上，请再核对一下。")
    return Validated(numbers[0])
