"""Checks of request details that need reference data or today's local date."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.backend.errors import ValidationFailedError
from bot.backend.reference import service as reference
from bot.backend.requests.schemas import (
    AnyRequestCreate,
    HospitalRequestCreate,
    HousingRequestCreate,
    SchoolingRequestCreate,
    SettlementRequestCreate,
)

#: How far ahead a hospital visit may be booked.
VISIT_WINDOW_DAYS = 60


def checked_details(session: Session, *, payload: AnyRequestCreate, today: date) -> dict[str, Any]:
    """Return the details to store (canonical names filled in) or raise all problems."""
    problems: dict[str, str] = {}
    details = payload.details.model_dump(mode="json")
    if isinstance(payload, HousingRequestCreate):
        _check_district(session, details, "district", problems)
        if details["move_in_month"] < today.strftime("%Y-%m"):
            problems["details.move_in_month"] = "期望入住月份不能早于本月"
    elif isinstance(payload, SchoolingRequestCreate | SettlementRequestCreate):
        _check_district(session, details, "target_district", problems)
    elif isinstance(payload, HospitalRequestCreate):
        _check_hospital(session, details, problems)
        _check_visit_date(payload.details.visit_date, today, problems)
    if problems:
        raise ValidationFailedError(fields=problems)
    return details


def _check_district(
    session: Session, details: dict[str, Any], key: str, problems: dict[str, str]
) -> None:
    """Replace an alias such as ``渝北`` with ``渝北区``; refuse unknown places."""
    name = reference.district_name(session, text=details[key])
    if name is None:
        problems[f"details.{key}"] = f"未找到区县“{details[key]}”，请填写重庆市的区县名称"
    else:
        details[key] = name


def _check_hospital(session: Session, details: dict[str, Any], problems: dict[str, str]) -> None:
    """Require a known hospital and one of its own departments."""
    hospital = reference.get_hospital(session, code=details["hospital_code"])
    if hospital is None:
        problems["details.hospital_code"] = "未找到该医院，请从医院列表中选择"
        return
    departments = [department.name for department in hospital.departments]
    if details["department"] not in departments:
        problems["details.department"] = (
            f"{hospital.name}没有“{details['department']}”，" f"可选科室：{'、'.join(departments)}"
        )
    details["hospital_name"] = hospital.name


def _check_visit_date(visit_date: date, today: date, problems: dict[str, str]) -> None:
    """Book from today up to the end of the booking window, in local dates."""
    if visit_date < today:
        problems["details.visit_date"] = "就诊日期不能早于今天"
    elif visit_date > today + timedelta(days=VISIT_WINDOW_DAYS):
        problems["details.visit_date"] = f"只能预约 {VISIT_WINDOW_DAYS} 天内的就诊日期"
