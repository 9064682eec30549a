"""The three kinds of service request and what each one collects.

One table drives the forms' read-back, field changes, submission payloads and
slot resets, so the three flows cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.common.pii import mask_id_number, mask_name, mask_phone

HOUSING_TYPES = {"talent_apartment": "人才公寓", "youth_rental": "青年人才公租房"}
SCHOOL_STAGES = {"kindergarten": "幼儿园", "primary": "小学", "junior": "初中", "senior": "高中"}
KINDERGARTEN_CLASSES = {1: "小班", 2: "中班", 3: "大班"}
HALF_DAYS = {"am": "上午", "pm": "下午"}

# slots every request kind shares
CONSENT_SLOTS = ("privacy_consent", "consent_notice_version", "consent_agreed_at")
CONTROL_SLOTS = (
    "request_confirmed",
    "request_kind",
    "idempotency_key",
    "submission_pending",
    "validation_failures",
    "requested_slot",
)


def grade_label(stage: str | None, grade: Any) -> str:
    """Say a grade the way parents do (大班, 小学三年级)."""
    if grade is None:
        return "-"
    number = int(grade)
    if stage == "kindergarten":
        return KINDERGARTEN_CLASSES.get(number, f"{number}")
    return f"{SCHOOL_STAGES.get(stage or '', '')}{number}年级"


@dataclass(frozen=True)
class Field:
    """One value the applicant gives, with how to show it back."""

    slot: str
    label: str
    show: Callable[[Any, Mapping[str, Any]], str] = lambda value, _slots: str(value)


@dataclass(frozen=True)
class RequestKind:
    """A request kind: its form, its fields and how its details are sent."""

    code: str
    form: str
    title: str
    number_prefix: str
    detail_fields: tuple[Field, ...]
    needs_id_number: bool
    build_details: Callable[[Mapping[str, Any], Mapping[str, str]], dict[str, Any]]

    @property
    def applicant_fields(self) -> tuple[Field, ...]:
        """Return the applicant's own fields this kind asks for."""
        fields = [
            Field("applicant_name", "申请人", lambda v, _s: mask_name(str(v))),
            Field("phone", "手机号", lambda v, _s: mask_phone(str(v))),
        ]
        if self.needs_id_number:
            fields.append(Field("id_number", "身份证号", lambda v, _s: mask_id_number(str(v))))
        return tuple(fields)

    @property
    def fields(self) -> tuple[Field, ...]:
        """Return every field the applicant can change before confirming."""
        return self.detail_fields + self.applicant_fields

    @property
    def slots(self) -> tuple[str, ...]:
        """Return every slot to clear when the request is done or abandoned."""
        return tuple(f.slot for f in self.fields) + CONSENT_SLOTS + CONTROL_SLOTS

    def field(self, slot: str) -> Field | None:
        """Return the field stored in a slot, if this kind has it."""
        return next((f for f in self.fields if f.slot == slot), None)

    def summary(self, slots: Mapping[str, Any]) -> str:
        """Render the read-back, with personal data masked."""
        lines = [f"办理事项：{self.title}"]
        for field in self.fields:
            value = slots.get(field.slot)
            lines.append(f"{field.label}：{'-' if value is None else field.show(value, slots)}")
        return "\n".join(lines)


def _housing_details(slots: Mapping[str, Any], _refs: Mapping[str, str]) -> dict[str, Any]:
    return {
        "housing_type": slots["housing_type"],
        "district": slots["district"],
        "household_size": int(slots["household_size"]),
        "move_in_month": slots["move_in_month"],
    }


def _schooling_details(slots: Mapping[str, Any], _refs: Mapping[str, str]) -> dict[str, Any]:
    return {
        "child_name": slots["child_name"],
        "stage": slots["school_stage"],
        "grade": int(slots["grade"]),
        "current_school": slots["current_school"],
        "target_district": slots["target_district"],
    }


def _hospital_details(slots: Mapping[str, Any], refs: Mapping[str, str]) -> dict[str, Any]:
    return {
        "hospital_code": refs["hospital_code"],
        "department": slots["department"],
        "visit_date": slots["visit_date"],
        "half_day": slots["half_day"],
        "reason": slots["reason"],
        "green_channel": True,
    }


HOUSING = RequestKind(
    code="housing",
    form="housing_form",
    title="人才住房申请",
    number_prefix="HS",
    detail_fields=(
        Field("housing_type", "住房类型", lambda v, _s: HOUSING_TYPES.get(v, str(v))),
        Field("district", "意向区县"),
        Field("household_size", "入住人数", lambda v, _s: f"{int(v)} 人"),
        Field("move_in_month", "入住时间", lambda v, _s: f"{v[:4]}年{int(v[5:7])}月"),
    ),
    needs_id_number=True,
    build_details=_housing_details,
)

SCHOOLING = RequestKind(
    code="schooling",
    form="schooling_form",
    title="子女入学服务申请",
    number_prefix="SC",
    detail_fields=(
        Field("child_name", "孩子姓名", lambda v, _s: mask_name(str(v))),
        Field("school_stage", "学段", lambda v, _s: SCHOOL_STAGES.get(v, str(v))),
        Field("grade", "年级", lambda v, s: grade_label(s.get("school_stage"), v)),
        Field("current_school", "现就读学校/城市"),
        Field("target_district", "意向入学区县"),
    ),
    needs_id_number=False,
    build_details=_schooling_details,
)

HOSPITAL = RequestKind(
    code="hospital",
    form="hospital_form",
    title="定点医院就医绿色通道预约",
    number_prefix="HP",
    detail_fields=(
        Field("hospital", "医院"),
        Field("department", "科室"),
        Field("visit_date", "就诊日期"),
        Field("half_day", "时段", lambda v, _s: HALF_DAYS.get(v, str(v))),
        Field("reason", "就诊原因"),
    ),
    needs_id_number=True,
    build_details=_hospital_details,
)

KINDS: dict[str, RequestKind] = {k.code: k for k in (HOUSING, SCHOOLING, HOSPITAL)}
KINDS_BY_FORM: dict[str, RequestKind] = {k.form: k for k in KINDS.values()}
KINDS_BY_PREFIX: dict[str, RequestKind] = {k.number_prefix: k for k in KINDS.values()}

# a changed field can make another one stale (a department of the old hospital)
DEPENDENT_SLOTS: dict[str, tuple[str, ...]] = {
    "hospital": ("department",),
    "school_stage": ("grade",),
    "visit_date": ("half_day",),
}
