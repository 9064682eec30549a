"""Turn request rows into public shapes with every piece of personal data masked."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.backend.requests.lifecycle import STATUS_LABELS
from bot.backend.requests.models import RequestEvent, ServiceRequest
from bot.backend.requests.schemas import ApplicantPublic, EventPublic, RequestPublic
from bot.common.catalogue import ALL_KINDS
from bot.common.pii import mask_name, mask_phone, mask_text

#: Detail fields holding a person's name, and free texts that may hide numbers (catalogue).
_NAME_FIELDS = frozenset(key for k in ALL_KINDS for key in k.detail_keys_masked_as("name"))
_FREE_TEXT_FIELDS = frozenset(key for k in ALL_KINDS for key in k.detail_keys_masked_as("text"))


def mask_details(details: dict[str, Any]) -> dict[str, Any]:
    """Mask names in details and any phone or ID number typed into free text."""
    masked: dict[str, Any] = {}
    for key, value in details.items():
        if key in _NAME_FIELDS and isinstance(value, str):
            masked[key] = mask_name(value)
        elif key in _FREE_TEXT_FIELDS and isinstance(value, str):
            masked[key] = mask_text(value)
        else:
            masked[key] = value
    return masked


def request_public(request: ServiceRequest, *, tz: ZoneInfo) -> RequestPublic:
    """Show a request to its owner, the bot or staff; times are in local time."""
    return RequestPublic(
        number=request.number,
        kind=request.kind,  # type: ignore[arg-type]
        status=request.status,  # type: ignore[arg-type]
        status_label=STATUS_LABELS[request.status],
        applicant=ApplicantPublic(
            name=mask_name(request.applicant_name),
            phone=mask_phone(request.applicant_phone),
            # stored masked beside the sealed number: showing it needs no key
            id_number=request.applicant_id_masked,
        ),
        channel=request.channel,  # type: ignore[arg-type]
        details=mask_details(request.details),
        created_at=request.created_at.astimezone(tz),
        updated_at=request.updated_at.astimezone(tz),
    )


def event_public(event: RequestEvent, *, tz: ZoneInfo) -> EventPublic:
    """Show one audit entry; notes are free text, so numbers in them are masked."""
    return EventPublic(
        at=event.created_at.astimezone(tz),
        actor=event.actor,
        action=event.action,  # type: ignore[arg-type]
        from_status=event.from_status,  # type: ignore[arg-type]
        to_status=event.to_status,  # type: ignore[arg-type]
        note=mask_text(event.note) if event.note else event.note,
    )
