"""Endpoint serving the current personal-data notice of each request kind."""

from __future__ import annotations

from fastapi import APIRouter

from bot.backend.consent import service
from bot.backend.consent.schemas import NoticePublic
from bot.backend.deps import SessionDep, SettingsDep
from bot.backend.requests.lifecycle import Kind

router = APIRouter(prefix="/consent", tags=["consent"])


@router.get("/notices/{kind}", response_model=NoticePublic)
def get_notice(
    kind: Kind,
    session: SessionDep,
    settings: SettingsDep,
) -> NoticePublic:
    """Return the notice the applicant must agree to before submitting."""
    notice = service.get_current_notice(session, kind=kind)
    return NoticePublic(
        kind=notice.kind,
        version=notice.version,
        text=notice.text,
        published_at=notice.published_at.astimezone(settings.tz),
    )
