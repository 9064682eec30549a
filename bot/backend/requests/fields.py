"""Reusable checked field types with Chinese reasons for service-request bodies.

Every text is stripped of surrounding blanks and refused if it holds control
or invisible formatting characters; anything else (quotes, ``<script>``,
``'; DROP TABLE``) is kept verbatim, as the database layer binds parameters.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from bot.common.pii import normalize_mobile, normalize_resident_id, resident_id_problem

#: Invisible characters that reorder or hide text in staff consoles.
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff"
)
_DIGIT = re.compile(r"\d")
_ID_PROBLEMS: dict[str, str] = {
    "length": "身份证号码应为 18 位",
    "characters": "身份证号码应为 17 位数字加 1 位数字或 X",
    "region": "身份证号码的地区码无效，请核对",
    "birth_date": "身份证号码中的出生日期无效，请核对",
    "check_digit": "身份证号码校验位不正确，请核对",
}


def refuse_control_characters(value: str) -> str:
    """Refuse control and invisible formatting characters anywhere in the text."""
    for char in value:
        if char in _INVISIBLE or unicodedata.category(char) == "Cc":
            raise ValueError("不能包含控制字符或不可见字符")
    return value


def _check_person_name(value: str) -> str:
    if _DIGIT.search(value):
        raise ValueError("姓名不能包含数字")
    return value


def _check_phone(value: str) -> str:
    """Accept ``+86`` and separators but store the bare 11 digits."""
    mobile = normalize_mobile(value)
    if mobile is None:
        raise ValueError("手机号码格式不正确，请填写 11 位手机号码，如 13812345678")
    return mobile


def _check_resident_id(value: str) -> str:
    """Store the 18-character ID with an upper-case X; say what is wrong otherwise."""
    problem = resident_id_problem(value)
    if problem is not None:
        raise ValueError(_ID_PROBLEMS[problem])
    normalised = normalize_resident_id(value)
    assert normalised is not None
    return normalised


def _text(min_length: int, max_length: int) -> StringConstraints:
    """Strip surrounding blanks and bound the length."""
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


_NO_CONTROL = AfterValidator(refuse_control_characters)

PersonName = Annotated[str, _text(1, 30), _NO_CONTROL, AfterValidator(_check_person_name)]
Phone = Annotated[
    str,
    _text(1, 20),
    _NO_CONTROL,
    AfterValidator(_check_phone),
    Field(examples=["13812345678"]),
]
ResidentId = Annotated[
    str,
    _text(1, 32),
    _NO_CONTROL,
    AfterValidator(_check_resident_id),
    Field(examples=["11010519491231002X"]),
]
PhoneLast4 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\d{4}$"),
    Field(description="手机号码后四位", examples=["5678"]),
]
SenderId = Annotated[str, _text(1, 128), _NO_CONTROL]
DistrictName = Annotated[str, _text(1, 32), _NO_CONTROL, Field(examples=["渝北区"])]
SchoolName = Annotated[str, _text(1, 100), _NO_CONTROL]
PlaceName = Annotated[str, _text(1, 50), _NO_CONTROL, Field(examples=["四川省成都市"])]
Reason = Annotated[str, _text(0, 200), _NO_CONTROL]
Note = Annotated[str, _text(0, 500), _NO_CONTROL]
HospitalCode = Annotated[str, _text(1, 64), _NO_CONTROL, Field(examples=["cqmu_fah"])]
Department = Annotated[str, _text(1, 32), _NO_CONTROL, Field(examples=["心血管内科"])]
RequestNumber = Annotated[str, _text(1, 32), _NO_CONTROL, Field(examples=["HS20261127-0001"])]
Actor = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^(system|[a-z]+:[^\s:]{1,64})$"),
    _NO_CONTROL,
    Field(description="操作人，如 agent:li、staff:wang 或 system", examples=["agent:li"]),
]
