"""Refused submissions: each names the field and gives a Chinese reason."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.backend.consent.models import ConsentRecord
from bot.backend.requests.models import ServiceRequest
from tests.backend import payloads
from tests.backend.conftest import Clock, Submit

CHINESE = re.compile(r"[\u4e00-\u9fff]")

HOUSING = payloads.housing()
SCHOOLING = payloads.schooling()
HOSPITAL = payloads.hospital()

# (case id, valid body, dotted field changed (``...`` deletes it), new value, reason fragment)
INVALID: list[tuple[str, dict[str, Any], str, Any, str]] = [
    ("phone-short", HOUSING, "applicant.phone", "1381234567", "手机号码"),
    ("phone-landline", HOUSING, "applicant.phone", "02363123456", "手机号码"),
    ("phone-second-digit", HOUSING, "applicant.phone", "12812345678", "手机号码"),
    ("id-check-digit", HOUSING, "applicant.id_number", "110105194912310021", "校验位"),
    ("id-length", HOSPITAL, "applicant.id_number", "11010519491231002", "18 位"),
    ("id-birth-date", HOUSING, "applicant.id_number", "110105194913310024", "出生日期"),
    ("id-missing-for-housing", HOUSING, "applicant.id_number", ..., "必填"),
    ("id-given-for-schooling", SCHOOLING, "applicant.id_number", payloads.ID_NUMBER, "无需"),
    ("name-empty", HOUSING, "applicant.name", "   ", "不能为空"),
    ("name-digits", HOUSING, "applicant.name", "张3", "数字"),
    ("unknown-district", HOUSING, "details.district", "火星区", "未找到区县"),
    ("district-outside-chongqing", SCHOOLING, "details.target_district", "成都市", "未找到区县"),
    ("household-too-big", HOUSING, "details.household_size", 11, "不能大于 10"),
    ("household-zero", HOUSING, "details.household_size", 0, "不能小于 1"),
    ("household-text", HOUSING, "details.household_size", "三口", "整数"),
    ("housing-type", HOUSING, "details.housing_type", "villa", "可选"),
    ("move-in-month-format", HOUSING, "details.move_in_month", "2027-13", "格式"),
    ("move-in-month-past", HOUSING, "details.move_in_month", "2026-10", "本月"),
    (
        "grade-beyond-kindergarten",
        payloads.schooling(stage="kindergarten"),
        "details.grade",
        4,
        "幼儿园只有 3 个年级",
    ),
    (
        "grade-beyond-junior",
        payloads.schooling(stage="junior"),
        "details.grade",
        6,
        "初中只有 3 个年级",
    ),
    ("grade-beyond-primary", SCHOOLING, "details.grade", 7, "不能大于 6"),
    ("grade-zero", SCHOOLING, "details.grade", 0, "不能小于 1"),
    ("stage", SCHOOLING, "details.stage", "university", "可选"),
    ("school-too-long", SCHOOLING, "details.current_school", "校" * 101, "100"),
    ("unknown-hospital", HOSPITAL, "details.hospital_code", "no_such", "未找到该医院"),
    ("department-not-of-hospital", HOSPITAL, "details.department", "儿科", "没有“儿科”"),
    ("visit-date-past", HOSPITAL, "details.visit_date", "2026-11-26", "不能早于今天"),
    ("visit-date-too-far", HOSPITAL, "details.visit_date", "2027-01-27", "60 天"),
    ("visit-date-format", HOSPITAL, "details.visit_date", "12月2日", "YYYY-MM-DD"),
    ("half-day", HOSPITAL, "details.half_day", "evening", "可选"),
    ("reason-too-long", HOSPITAL, "details.reason", "痛" * 201, "200"),
    ("unknown-field", HOUSING, "details.pets", True, "不支持"),
    ("channel", HOUSING, "channel", "fax", "可选"),
    ("sender-missing", HOUSING, "sender_id", ..., "必填"),
    ("kind-unknown", HOUSING, "kind", "pension", "申请类型"),
    ("kind-missing", HOUSING, "kind", ..., "kind"),
]


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        pytest.param(payloads.with_change(base, field, value), field, reason, id=case)
        for case, base, field, value, reason in INVALID
    ],
)
def test_invalid_body_names_the_field_in_chinese(
    submit: Submit, session: Session, body: dict[str, Any], field: str, reason: str
) -> None:
    response = submit(body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert CHINESE.search(error["message"])
    assert field in error["fields"], error["fields"]
    assert reason in error["fields"][field]
    assert CHINESE.search(error["fields"][field])
    assert session.scalar(select(func.count()).select_from(ServiceRequest)) == 0


def test_all_problems_of_a_body_are_reported_together(submit: Submit) -> None:
    body = payloads.hospital(hospital_code="cq_mch", department="骨科", visit_date="2026-01-01")
    fields = submit(body).json()["error"]["fields"]
    assert set(fields) == {"details.department", "details.visit_date"}


def test_department_error_lists_the_hospital_departments(submit: Submit) -> None:
    body = payloads.hospital(hospital_code="cq_mch", department="骨科")
    reason = submit(body).json()["error"]["fields"]["details.department"]
    assert reason.startswith("重庆市妇幼保健院没有“骨科”，可选科室：妇产科、儿科")


def test_visit_date_uses_chongqing_local_date(submit: Submit, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 27, 16, 30, tzinfo=timezone.utc)  # 00:30 on the 28th
    response = submit(payloads.hospital(visit_date="2026-11-27"))
    assert response.status_code == 422
    assert "details.visit_date" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "consent",
    [..., None, {}, {"agreed_at": "2026-11-27T09:58:00+08:00"}],
    ids=["absent", "null", "empty", "no-version"],
)
def test_missing_consent_is_consent_required(
    submit: Submit, session: Session, consent: Any
) -> None:
    response = submit(payloads.with_change(payloads.housing(), "consent", consent))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "consent_required"
    assert "告知书" in error["message"]
    assert session.scalar(select(func.count()).select_from(ServiceRequest)) == 0


@pytest.mark.parametrize(
    "version",
    ["2026-01-01.housing.v0", "2026-11-27.hospital.v1", "2026-11-27.housing.v2", "latest"],
)
def test_wrong_notice_version_is_consent_required(submit: Submit, version: str) -> None:
    body = payloads.with_change(payloads.housing(), "consent.notice_version", version)
    response = submit(body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "consent_required"
    assert error["fields"]["consent.notice_version"] == "当前版本为 2026-11-27.housing.v1"


def test_consent_from_the_future_is_refused(submit: Submit) -> None:
    body = payloads.with_change(
        payloads.housing(), "consent.agreed_at", "2026-11-28T10:00:00+08:00"
    )
    error = submit(body).json()["error"]
    assert error["code"] == "consent_required"
    assert "consent.agreed_at" in error["fields"]


def test_consent_time_without_offset_is_read_as_chongqing_time(
    submit: Submit, session: Session
) -> None:
    body = payloads.with_change(payloads.housing(), "consent.agreed_at", "2026-11-27T09:30:00")
    assert submit(body).status_code == 201
    record = session.scalars(select(ConsentRecord)).one()
    assert record.agreed_at == datetime(2026, 11, 27, 1, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "必填"),
        ({"Idempotency-Key": "k" * 129}, "128"),
        ({"Idempotency-Key": "with space"}, "格式"),
        ({"Idempotency-Key": "有".encode()}, "格式"),
    ],
    ids=["missing", "too-long", "space", "not-ascii"],
)
def test_idempotency_key_is_required_and_checked(
    client: TestClient, headers: dict[str, Any], reason: str
) -> None:
    response = client.post("/api/v1/requests", json=payloads.housing(), headers=headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert reason in error["fields"]["Idempotency-Key"]


@pytest.mark.parametrize(
    "raw", [b"{not json", b"[]", b'"text"', b""], ids=["broken", "list", "string", "empty"]
)
def test_malformed_json_is_a_validation_error(client: TestClient, raw: bytes) -> None:
    response = client.post(
        "/api/v1/requests",
        content=raw,
        headers={"Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
