"""Requests at the hotline: submit for a caller, look up, move along, annotate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from bot.backend.deps import NowDep, SessionDep, SettingsDep
from bot.backend.errors import ValidationFailedError
from bot.backend.requests import service
from bot.backend.requests.fields import Note
from bot.backend.requests.lifecycle import StaffStatus
from bot.backend.requests.presenter import event_public, request_public
from bot.backend.requests.schemas import EventPublic, RequestCreate, RequestPublic
from bot.backend.validation_messages import translate_validation_errors
from bot.common.catalogue import FORM_KINDS
from bot.console import requests_scope
from bot.console.auth import CallerDep, audit

router = APIRouter(prefix="/requests", tags=["console"])
_REQUEST = TypeAdapter(RequestCreate)


def _form_kind(kind: str) -> str:
    """Accept the kinds an agent fills in with a caller (the catalogue's form kinds)."""
    if kind not in FORM_KIND_CODES:
        raise ValueError(f"申请类型应为 {'、'.join(FORM_KIND_CODES)} 之一")
    return kind


FORM_KIND_CODES = tuple(kind.code for kind in FORM_KINDS)


class HotlineSubmission(BaseModel):
    """A request the agent filled in with the caller, after reading out the notice."""

    model_config = ConfigDict(extra="forbid")

    kind: Annotated[str, AfterValidator(_form_kind)]
    applicant: dict[str, Any]
    details: dict[str, Any]
    notice_version: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    consent_read_out: bool
    #: when the caller agreed (the moment the agent ticked the box); stable across retries
    consent_at: datetime
    submission_key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{8,64}$")]
    summary: Note = ""


class Submitted(BaseModel):
    """The new request, and the number and phone for the agent to read back."""

    request: RequestPublic
    read_back_phone: str
    replayed: bool


class StatusChange(BaseModel):
    """An agent's status change with an optional note."""

    model_config = ConfigDict(extra="forbid")

    status: StaffStatus
    note: Note = ""


class NoteIn(BaseModel):
    """A note, or the summary of a call, kept with the request."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["annotated", "call_summary"] = "annotated"
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class RequestDetail(BaseModel):
    """A request with its whole audit trail."""

    request: RequestPublic
    events: list[EventPublic]


@router.post("", response_model=Submitted, status_code=201)
def submit_for_caller(
    body: HotlineSubmission,
    response: Response,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Submitted:
    """Submit on the caller's behalf: channel hotline, the agent recorded as the submitter."""
    if not body.consent_read_out:
        raise ValidationFailedError(
            "请先向来电人宣读个人信息告知书并取得同意。",
            fields={"consent_read_out": "需要来电人同意告知书"},
        )
    try:
        payload = _REQUEST.validate_python(
            {
                "kind": body.kind,
                "applicant": body.applicant,
                "details": body.details,
                "channel": "hotline",
                "sender_id": f"hotline:{caller.agent.username}:{body.submission_key}",
                "consent": {
                    "notice_version": body.notice_version,
                    "agreed_at": body.consent_at.isoformat(),
                },
            }
        )
    except ValidationError as exc:
        located = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        fields, consent_problem = translate_validation_errors(located)
        if consent_problem:
            fields["notice_version"] = "告知书已更新，请重新宣读最新版本"
        raise ValidationFailedError(fields=fields) from exc
    key = f"hotline:{caller.agent.username}:{body.submission_key}"
    outcome = service.create_request(
        session,
        payload=payload,
        idempotency_key=key,
        now=now,
        tz=settings.tz,
        actor=caller.actor,
        numbers=settings.request_numbers,
        vault=settings.id_vault,
    )
    number = outcome.request.number
    if outcome.created:
        if body.summary:
            service.add_note(
                session,
                number=number,
                actor=caller.actor,
                action="call_summary",
                note=body.summary,
                now=now,
            )
        audit(session, caller, action="request_submitted", target=number, now=now)
    else:
        response.status_code = 200
    return Submitted(
        request=request_public(outcome.request, tz=settings.tz),
        read_back_phone=outcome.request.applicant_phone,
        replayed=not outcome.created,
    )


@router.get("", response_model=list[RequestPublic])
def find_requests(
    caller: CallerDep, session: SessionDep, settings: SettingsDep, now: NowDep, q: str = ""
) -> list[RequestPublic]:
    """Find requests by number or the caller's mobile number, within the agent's scope."""
    found = requests_scope.search(session, caller, q[:40])
    if q.strip():
        audit(session, caller, action="requests_searched", detail=f"{len(found)} 条", now=now)
    return [request_public(r, tz=settings.tz) for r in found]


@router.get("/{number}", response_model=RequestDetail)
def show_request(
    number: str, caller: CallerDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> RequestDetail:
    """Show one request in scope with its audit trail."""
    request = requests_scope.get_visible(session, caller, number)
    audit(session, caller, action="request_viewed", target=request.number, now=now)
    events = service.list_events(session, number=request.number)
    return RequestDetail(
        request=request_public(request, tz=settings.tz),
        events=[event_public(e, tz=settings.tz) for e in events],
    )


@router.post("/{number}/status", response_model=RequestPublic)
def change_status(
    number: str,
    body: StatusChange,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> RequestPublic:
    """Move a request in scope along its lifecycle, in the agent's name."""
    request = requests_scope.get_visible(session, caller, number)
    moved = service.update_status(
        session,
        number=request.number,
        status=body.status,
        actor=caller.actor,
        note=body.note,
        now=now,
    )
    audit(
        session, caller, action="status_changed", target=moved.number, detail=body.status, now=now
    )
    return request_public(moved, tz=settings.tz)


@router.post("/{number}/notes", response_model=EventPublic, status_code=201)
def add_note(
    number: str,
    body: NoteIn,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> EventPublic:
    """Keep a note or a call summary with a request in scope."""
    request = requests_scope.get_visible(session, caller, number)
    event = service.add_note(
        session,
        number=request.number,
        actor=caller.actor,
        action=body.kind,
        note=body.note,
        now=now,
    )
    audit(session, caller, action=body.kind, target=request.number, now=now)
    return event_public(event, tz=settings.tz)


@router.post("/{number}/contact")
def reveal_contact(
    number: str, caller: CallerDep, session: SessionDep, now: NowDep
) -> dict[str, str]:
    """Show the full mobile number to call back; each look is recorded with the request."""
    request = requests_scope.get_visible(session, caller, number)
    service.add_note(
        session,
        number=request.number,
        actor=caller.actor,
        action="contact_revealed",
        note="坐席查看了完整联系电话",
        now=now,
    )
    audit(session, caller, action="contact_revealed", target=request.number, now=now)
    return {"number": request.number, "phone": request.applicant_phone}
