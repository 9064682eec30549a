"""Creating each kind of request: numbers, masking, stored data and consent."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter
from sqlalchemy import Engine, inspect, select
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.orm import Session

from bot.backend.consent.models import ConsentRecord
from bot.backend.db import create_session_factory
from bot.backend.requests import service
from bot.backend.requests.idcrypt import IdNumberVault
from bot.backend.requests.models import RequestEvent, ServiceRequest
from bot.backend.requests.presenter import request_public
from bot.backend.requests.schemas import RequestCreate
from bot.backend.requests.service import CreateOutcome
from tests.backend import payloads
from tests.backend.conftest import FIXED_NOW, ID_KEY, Submit

NUMBER = re.compile(r"^(HS|SC|HP)20261127-\d{4}$")


@pytest.mark.parametrize(
    ("kind", "prefix"), [("housing", "HS"), ("schooling", "SC"), ("hospital", "HP")]
)
def test_create_returns_201_with_a_numbered_masked_request(
    submit: Submit, kind: str, prefix: str
) -> None:
    response = submit(payloads.BUILDERS[kind]())
    assert response.status_code == 201, response.text
    assert "idempotent-replay" not in response.headers
    body = response.json()
    assert body["number"] == f"{prefix}20261127-0001"
    assert NUMBER.match(body["number"])
    assert body["kind"] == kind
    assert body["status"] == "submitted"
    assert body["status_label"] == "已提交"
    assert body["channel"] == "rest"
    assert body["applicant"]["name"] == "张*"
    assert body["applicant"]["phone"] == "138****5678"
    expected_id = None if kind == "schooling" else "1101**********002X"
    assert body["applicant"]["id_number"] == expected_id
    assert payloads.PHONE not in response.text
    assert payloads.ID_NUMBER not in response.text
    assert body["created_at"] == "2026-11-27T10:00:00+08:00"
    assert body["updated_at"] == body["created_at"]


def test_housing_details_are_returned(submit: Submit) -> None:
    details = submit(payloads.housing(district="渝北")).json()["details"]
    assert details == {
        "housing_type": "talent_apartment",
        "district": "渝北区",  # the alias is stored under its canonical name
        "household_size": 3,
        "move_in_month": "2027-01",
    }


def test_schooling_masks_the_child_name(submit: Submit) -> None:
    response = submit(payloads.schooling())
    details = response.json()["details"]
    assert details["child_name"] == "王**"
    assert "王小明" not in response.text
    assert details["target_district"] == "两江新区"
    assert details["stage"] == "primary" and details["grade"] == 3


def test_hospital_details_name_the_hospital_and_mask_numbers_in_free_text(
    submit: Submit,
) -> None:
    response = submit(payloads.hospital(reason="胸闷，家属电话13900001111"))
    details = response.json()["details"]
    assert details["hospital_name"] == "重庆医科大学附属第一医院"
    assert details["reason"] == "胸闷，家属电话139****1111"
    assert "13900001111" not in response.text


def test_personal_data_is_stored_whole(submit: Submit, session: Session) -> None:
    number = submit(payloads.hospital()).json()["number"]
    stored = session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
    assert stored is not None
    assert stored.applicant_name == "张三"
    assert stored.applicant_phone == payloads.PHONE
    # the ID number is whole but sealed at rest (issue 11): only the key opens it
    assert stored.applicant_id_number is None
    assert stored.applicant_id_sealed and payloads.ID_NUMBER not in stored.applicant_id_sealed
    assert IdNumberVault(ID_KEY).open(stored.applicant_id_sealed) == payloads.ID_NUMBER
    assert stored.applicant_id_hash == IdNumberVault(ID_KEY).lookup_hash(payloads.ID_NUMBER)
    assert stored.sender_id == "web-abc"
    assert stored.created_at == datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("kind", ["housing", "schooling", "hospital"])
def test_consent_is_stored_with_version_and_time(
    submit: Submit, session: Session, kind: str
) -> None:
    number = submit(payloads.BUILDERS[kind]()).json()["number"]
    record = session.scalar(
        select(ConsentRecord)
        .join(ServiceRequest, ConsentRecord.request_id == ServiceRequest.id)
        .where(ServiceRequest.number == number)
    )
    assert record is not None
    assert record.notice.version == payloads.NOTICE_VERSIONS[kind]
    assert record.notice.kind == kind
    assert record.agreed_at == datetime(2026, 11, 27, 1, 58, tzinfo=timezone.utc)
    assert record.recorded_at == datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)
    assert record.channel == "rest" and record.sender_id == "web-abc"


def test_creation_appends_a_created_event(submit: Submit, session: Session) -> None:
    number = submit(payloads.housing()).json()["number"]
    events = session.scalars(
        select(RequestEvent)
        .join(ServiceRequest, RequestEvent.request_id == ServiceRequest.id)
        .where(ServiceRequest.number == number)
    ).all()
    assert [(e.actor, e.action, e.from_status, e.to_status) for e in events] == [
        ("applicant", "created", None, "submitted")
    ]


@pytest.mark.parametrize(
    ("path", "value", "stored"),
    [
        ("applicant.phone", "+86 138-1234-5678", "13812345678"),
        ("applicant.phone", " 13812345678 ", "13812345678"),
        ("applicant.id_number", "11010519491231002x", "11010519491231002X"),
        ("applicant.name", "  张三  ", "张三"),
        ("applicant.name", "阿依古丽·买买提", "阿依古丽·买买提"),
    ],
)
def test_input_is_normalised_before_storing(
    submit: Submit, session: Session, path: str, value: str, stored: str
) -> None:
    response = submit(payloads.with_change(payloads.housing(), path, value))
    assert response.status_code == 201, response.text
    row = session.scalar(
        select(ServiceRequest).where(ServiceRequest.number == response.json()["number"])
    )
    if path == "applicant.id_number":  # sealed at rest: open it to see what was stored
        assert row is not None and row.applicant_id_sealed
        assert IdNumberVault(ID_KEY).open(row.applicant_id_sealed) == stored
        return
    assert getattr(row, "_".join(path.split("."))) == stored


@pytest.mark.parametrize("channel", ["rest", "socketio", "wechat", "hotline", "cli"])
def test_every_channel_is_accepted(submit: Submit, channel: str) -> None:
    body: dict[str, Any] = payloads.with_change(payloads.housing(), "channel", channel)
    response = submit(body)
    assert response.status_code == 201
    assert response.json()["channel"] == channel


@pytest.mark.parametrize("id_number", [..., None, ""], ids=["absent", "null", "empty"])
def test_schooling_takes_no_id_number(submit: Submit, session: Session, id_number: Any) -> None:
    body = payloads.with_change(payloads.schooling(), "applicant.id_number", id_number)
    response = submit(body)
    assert response.status_code == 201, response.text
    assert response.json()["applicant"]["id_number"] is None
    assert session.scalars(select(ServiceRequest.applicant_id_number)).one() is None


def test_hospital_reason_and_green_channel_are_optional(submit: Submit) -> None:
    body = payloads.with_change(payloads.hospital(), "details.reason", ...)
    body = payloads.with_change(body, "details.green_channel", ...)
    details = submit(body).json()["details"]
    assert details["reason"] == "" and details["green_channel"] is False


def test_hospital_visit_may_be_today_or_sixty_days_ahead(submit: Submit) -> None:
    assert submit(payloads.hospital(visit_date="2026-11-27")).status_code == 201
    assert submit(payloads.hospital(visit_date="2027-01-26")).status_code == 201


def _submitted_in_one_session(engine: Engine, kind: str) -> tuple[Session, CreateOutcome, int]:
    """Create a request in a session as the app opens it; count the ORM flushes it ran."""
    writer = create_session_factory(engine)()
    flushes: list[object] = []
    sqlalchemy_event.listen(writer, "before_flush", lambda *_: flushes.append(None))
    outcome = service.create_request(
        writer,
        payload=TypeAdapter(RequestCreate).validate_python(payloads.BUILDERS[kind]()),
        idempotency_key=f"stored-row-{kind}",
        now=FIXED_NOW,
        tz=ZoneInfo("Asia/Shanghai"),
        numbers="random",
        vault=IdNumberVault(ID_KEY),
    )
    return writer, outcome, len(flushes)


@pytest.mark.parametrize("kind", ["housing", "schooling", "hospital"])
def test_the_service_hands_back_the_row_it_stored(engine: Engine, kind: str) -> None:
    # the rows are written by statements, not flushed ORM objects (docs/performance.md,
    # row 43); what the caller gets must still be the stored row, held by its session
    writer, outcome, flushes = _submitted_in_one_session(engine, kind)
    with writer, Session(engine) as reader:
        assert outcome.created and flushes == 0
        returned = outcome.request
        stored = reader.get(ServiceRequest, returned.id)
        assert stored is not None
        for column in ServiceRequest.__table__.columns:
            assert getattr(returned, column.key) == getattr(stored, column.key), column.key
        tz = ZoneInfo("Asia/Shanghai")
        assert request_public(returned, tz=tz) == request_public(stored, tz=tz)
        # the session holds it as a loaded row: in its identity map, nothing pending
        assert inspect(returned).persistent and not writer.dirty and not writer.new
        assert writer.get(ServiceRequest, returned.id) is returned
        moved = service.update_status(
            writer,
            number=returned.number,
            status="accepted",
            actor="agent:li",
            note="受理",
            now=FIXED_NOW,
        )
        assert moved is returned
        reader.expire_all()
        assert reader.get(ServiceRequest, returned.id).status == "accepted"
