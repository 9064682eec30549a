"""Requests at the hotline: submitted for the caller with the agent recorded; scope; notes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backend.requests.models import RequestEvent, ServiceRequest
from tests.backend import payloads
from tests.console.conftest import AgentClient, MakeAgent

CONSENT_AT = "2026-11-27T09:58:00+08:00"


def hotline_housing(**changes: Any) -> dict[str, Any]:
    """The console's body for a housing request taken on the phone."""
    body = {
        "kind": "housing",
        "applicant": {"name": "王五", "phone": "139 1234 5678", "id_number": payloads.ID_NUMBER},
        "details": {
            "housing_type": "youth_rental",
            "district": "渝北",
            "household_size": 2,
            "move_in_month": "2027-03",
        },
        "notice_version": payloads.NOTICE_VERSIONS["housing"],
        "consent_read_out": True,
        "consent_at": CONSENT_AT,
        "submission_key": uuid.uuid4().hex,
        "summary": "来电咨询青年人才公租房，已代为提交申请。",
    }
    body.update(changes)
    return body


def submit(agent: AgentClient, body: dict[str, Any]) -> Any:
    """Submit through the console."""
    return agent.post("/console/api/requests", json=body)


def test_submitted_for_the_caller_with_the_agent_recorded(
    make_agent: MakeAgent, session: Session
) -> None:
    li = make_agent("li", teams=("housing",))
    response = submit(li, hotline_housing())
    assert response.status_code == 201, response.text
    body = response.json()
    number = body["request"]["number"]
    assert number.startswith("HS")
    assert body["read_back_phone"] == "13912345678"  # the agent reads it back
    assert body["request"]["applicant"]["phone"] == "139****5678"
    row = session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
    assert row is not None and row.channel == "hotline"
    events = session.scalars(select(RequestEvent).where(RequestEvent.request_id == row.id)).all()
    assert [(e.actor, e.action) for e in events] == [
        ("agent:li", "created"),
        ("agent:li", "call_summary"),
    ]
    assert events[1].note == "来电咨询青年人才公租房，已代为提交申请。"


def test_a_retried_submission_is_not_duplicated(make_agent: MakeAgent, session: Session) -> None:
    li = make_agent("li", teams=("housing",))
    body = hotline_housing()
    first, again = submit(li, body), submit(li, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"] is True
    assert first.json()["request"]["number"] == again.json()["request"]["number"]
    assert len(session.scalars(select(ServiceRequest)).all()) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"consent_read_out": False}, "consent_read_out"),
        (
            {"applicant": {"name": "王五", "phone": "1234", "id_number": payloads.ID_NUMBER}},
            "applicant.phone",
        ),
        ({"details": {"housing_type": "castle"}}, "details.housing_type"),
    ],
)
def test_bad_forms_are_refused_with_reasons(
    make_agent: MakeAgent, changes: dict[str, Any], field: str
) -> None:
    li = make_agent("li", teams=("housing",))
    response = submit(li, hotline_housing(**changes))
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_an_outdated_notice_must_be_read_again(make_agent: MakeAgent) -> None:
    li = make_agent("li", teams=("housing",))
    response = submit(li, hotline_housing(notice_version="2025-01-01.housing.v0"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "consent_required"


@pytest.fixture
def schooling_number(bot_api: TestClient) -> str:
    """A schooling request a web user made, which only the schooling team may see."""
    response = bot_api.post(
        "/api/v1/requests",
        json=payloads.schooling(),
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["number"])


def test_agents_see_only_their_teams_and_what_they_submitted(
    make_agent: MakeAgent, schooling_number: str
) -> None:
    housing = make_agent("li", teams=("housing",))
    schooling = make_agent("wang", teams=("schooling",))
    boss = make_agent("zhao", role="supervisor")
    own = submit(housing, hotline_housing()).json()["request"]["number"]
    assert housing.get(f"/console/api/requests/{schooling_number}").status_code == 404
    assert schooling_number not in [
        r["number"] for r in housing.get("/console/api/requests").json()
    ]
    assert housing.get("/console/api/requests", params={"q": schooling_number}).json() == []
    assert schooling.get(f"/console/api/requests/{schooling_number}").status_code == 200
    assert schooling.get(f"/console/api/requests/{own}").status_code == 404
    assert boss.get(f"/console/api/requests/{own}").status_code == 200
    assert boss.get(f"/console/api/requests/{schooling_number}").status_code == 200
    refused = housing.post(
        f"/console/api/requests/{schooling_number}/status", json={"status": "accepted"}
    )
    assert refused.status_code == 404
    general = make_agent("sun", teams=("general",))
    assert general.get(f"/console/api/requests/{own}").status_code == 404  # submitted by li


def test_an_agent_finds_its_own_submission_even_outside_its_teams(make_agent: MakeAgent) -> None:
    general = make_agent("sun", teams=("general",))
    own = submit(general, hotline_housing()).json()["request"]["number"]
    found = general.get("/console/api/requests", params={"q": "13912345678"}).json()
    assert [r["number"] for r in found] == [own]


def test_status_notes_and_contact_are_attributed(make_agent: MakeAgent) -> None:
    li = make_agent("li", teams=("housing",))
    number = submit(li, hotline_housing()).json()["request"]["number"]
    moved = li.post(
        f"/console/api/requests/{number}/status", json={"status": "accepted", "note": "材料齐全"}
    )
    assert moved.status_code == 200 and moved.json()["status"] == "accepted"
    illegal = li.post(f"/console/api/requests/{number}/status", json={"status": "completed"})
    assert illegal.status_code == 409
    note = li.post(
        f"/console/api/requests/{number}/notes", json={"note": "来电人 13912345678 下午方便"}
    )
    assert note.status_code == 201
    assert note.json()["note"] == "来电人 139****5678 下午方便"  # notes show numbers masked
    contact = li.post(f"/console/api/requests/{number}/contact")
    assert contact.json()["phone"] == "13912345678"
    trail = li.get(f"/console/api/requests/{number}").json()["events"]
    assert [(e["actor"], e["action"]) for e in trail] == [
        ("agent:li", "created"),
        ("agent:li", "call_summary"),
        ("agent:li", "status_changed"),
        ("agent:li", "annotated"),
        ("agent:li", "contact_revealed"),
    ]


def test_hostile_text_is_stored_verbatim_and_returned_as_data(make_agent: MakeAgent) -> None:
    li = make_agent("li", teams=("housing",))
    hostile = "<script>alert(1)</script>"
    number = submit(li, hotline_housing(summary=hostile)).json()["request"]["number"]
    response = li.get(f"/console/api/requests/{number}")
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["events"][1]["note"] == hostile
