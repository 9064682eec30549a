"""Which service requests an agent may see, and finding them by number or phone.

An agent sees the requests of its teams (by kind; a callback by the team it
names) and every request it submitted itself; a supervisor sees all. Anything
else answers exactly like a number that does not exist.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backend.errors import NotFoundError
from bot.backend.requests.lifecycle import NUMBER_PATTERN
from bot.backend.requests.models import RequestEvent, ServiceRequest
from bot.common.catalogue import team_of_request
from bot.common.pii import normalize_mobile
from bot.console.auth import Caller

#: How many recent requests a list or a phone search looks through.
SEARCH_WINDOW = 200
RESULTS = 30


def submitted_by(session: Session, *, actor: str, request_ids: list[int]) -> set[int]:
    """Return which of the requests were created by ``actor``."""
    if not request_ids:
        return set()
    rows = session.scalars(
        select(RequestEvent.request_id).where(
            RequestEvent.request_id.in_(request_ids),
            RequestEvent.action == "created",
            RequestEvent.actor == actor,
        )
    )
    return set(rows)


def visible(
    session: Session, caller: Caller, requests: list[ServiceRequest]
) -> list[ServiceRequest]:
    """Keep the requests in the caller's scope, in the given order."""
    if caller.is_supervisor:
        return requests
    own = submitted_by(session, actor=caller.actor, request_ids=[r.id for r in requests])
    return [r for r in requests if r.id in own or caller.covers(team_of_request(r.kind, r.details))]


def get_visible(session: Session, caller: Caller, number: str) -> ServiceRequest:
    """Find one request by number within the caller's scope."""
    candidate = number.strip().upper()
    request = None
    if NUMBER_PATTERN.fullmatch(candidate):
        request = session.scalar(select(ServiceRequest).where(ServiceRequest.number == candidate))
    if request is None or not visible(session, caller, [request]):
        raise NotFoundError("未找到该编号的申请，或不在您的处理范围内。")
    return request


def search(session: Session, caller: Caller, query: str) -> list[ServiceRequest]:
    """Find by request number or the applicant's full mobile number; empty lists recent ones."""
    query = query.strip()
    if query and NUMBER_PATTERN.fullmatch(query.upper()):
        try:
            return [get_visible(session, caller, query)]
        except NotFoundError:
            return []
    statement = (
        select(ServiceRequest).order_by(ServiceRequest.created_at.desc()).limit(SEARCH_WINDOW)
    )
    if query:
        phone = normalize_mobile(query)
        if phone is None:
            return []
        statement = statement.where(ServiceRequest.applicant_phone == phone)
    return visible(session, caller, list(session.scalars(statement)))[:RESULTS]
