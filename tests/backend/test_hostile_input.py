"""SQL- and HTML-looking text is stored verbatim; control characters are refused."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.backend.requests.models import ServiceRequest
from tests.backend import payloads
from tests.backend.conftest import Submit

HOSTILE = [
    "'; DROP TABLE service_request; --",
    '" OR 1=1 --',
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7} %s %(name)s",
    "Robert'); DELETE FROM request_event;--",
    "😀 emoji 𠀀 rare CJK",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_looking_text_is_kept_verbatim(submit: Submit, session: Session, text: str) -> None:
    response = submit(payloads.schooling(current_school=text))
    assert response.status_code == 201, response.text
    assert response.json()["details"]["current_school"] == text
    stored = session.scalars(select(ServiceRequest)).one()
    assert stored.details["current_school"] == text


@pytest.mark.parametrize("text", HOSTILE[:3])
def test_hostile_text_in_every_free_field_is_harmless(
    submit: Submit, session: Session, text: str
) -> None:
    hospital = submit(payloads.hospital(reason=text))
    assert hospital.status_code == 201
    lookup_like = submit(payloads.housing(district=text))
    assert lookup_like.status_code == 422  # an unknown district, not a 5xx
    sender = submit(payloads.with_change(payloads.housing(), "sender_id", text))
    assert sender.status_code == 201
    assert session.scalar(select(func.count()).select_from(ServiceRequest)) == 2


CONTROL = [
    pytest.param("\x00", "details.current_school", id="nul"),
    pytest.param("\x07", "details.current_school", id="bell"),
    pytest.param("\x1b[31m", "details.current_school", id="ansi"),
    pytest.param("\r\n", "details.current_school", id="crlf"),
    pytest.param("\t", "details.current_school", id="tab"),
    pytest.param("\x7f", "details.current_school", id="del"),
    pytest.param("\x85", "details.current_school", id="c1"),
    pytest.param("\u202e", "details.current_school", id="rtl-override"),
    pytest.param("\u200b", "details.current_school", id="zero-width"),
    pytest.param("\x00", "applicant.name", id="name"),
    pytest.param("\x1b", "details.child_name", id="child-name"),
    pytest.param("\n", "sender_id", id="sender-id"),
]


@pytest.mark.parametrize(("bad", "path"), CONTROL)
def test_control_characters_are_refused(
    submit: Submit, session: Session, bad: str, path: str
) -> None:
    body = payloads.schooling()
    body = payloads.with_change(body, path, f"王{bad}明")
    response = submit(body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][path] == "不能包含控制字符或不可见字符"
    assert session.scalar(select(func.count()).select_from(ServiceRequest)) == 0


@pytest.mark.parametrize(
    "number", ["HS\x00", "HS20261127-0001\x00", "HS20261127-0001' OR '1'='1", "%", "_" * 15]
)
def test_odd_numbers_in_the_body_are_not_found(
    client: TestClient, housing_request: dict[str, Any], number: str
) -> None:
    response = client.post(
        "/api/v1/requests/lookup", json={"number": number, "phone_last4": "5678"}
    )
    assert response.status_code in {404, 422}
    assert response.json()["error"]["code"] in {"not_found", "validation_error"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/requests/HS%00/cancel",
        "/api/v1/requests/HS20261127-0001%00/cancel",
        "/api/v1/requests/%27%20OR%201=1--/cancel",
        "/api/v1/requests/HS2026112_-0001/cancel",
    ],
)
def test_odd_numbers_in_the_url_are_not_found(
    client: TestClient, housing_request: dict[str, Any], path: str
) -> None:
    response = client.post(path, json={"phone_last4": "5678"})
    assert response.status_code == 404
    events = client.get(path.replace("/cancel", "/events"))
    assert events.status_code == 404
    status = client.post(
        path.replace("/cancel", "/status"), json={"status": "accepted", "actor": "agent:li"}
    )
    assert status.status_code == 404
