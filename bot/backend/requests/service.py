"""Creating, finding and moving service requests; each write is one committed unit.

Audit events are only ever inserted here; the database refuses to update or
delete them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from bot.backend import metrics
from bot.backend.consent import service as consent
from bot.backend.errors import (
    IdempotencyConflictError,
    InvalidTransitionError,
    NotFoundError,
)
from bot.backend.guessing import service as guessing
from bot.backend.notifications import service as notifications
from bot.backend.requests.checks import checked_details
from bot.backend.requests.idcrypt import IdNumberVault
from bot.backend.requests.lifecycle import (
    APPLICANT_ACTOR,
    NUMBER_PATTERN,
    STATUS_LABELS,
    can_cancel,
    can_move,
)
from bot.backend.requests.models import RequestEvent, ServiceRequest
from bot.backend.requests.numbering import new_number
from bot.backend.requests.schemas import AnyRequestCreate
from bot.common.catalogue.numbers import check_letter_ok
from bot.common.pii import mask_id_number

#: One message for "no such number" and "wrong phone": neither may be told apart.
_NOT_FOUND_MESSAGE = "未找到与该编号和手机号匹配的申请，请核对后再试。"


#: A submission's statements, built once and run on the session's connection (row 43).
_ID_BY_KEY = select(ServiceRequest.id).where(ServiceRequest.idempotency_key == bindparam("key"))
_INSERT_REQUEST = insert(ServiceRequest).returning(ServiceRequest.id)
_INSERT_EVENT = insert(RequestEvent)


@dataclass(frozen=True)
class CreateOutcome:
    """The request, and whether this call created it or replayed an earlier one."""

    request: ServiceRequest
    created: bool


def fingerprint(payload: AnyRequestCreate) -> str:
    """Hash the validated body, so a retried submission is recognised as the same."""
    canonical = json.dumps(
        payload.model_dump(mode="json"),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def create_request(
    session: Session,
    *,
    payload: AnyRequestCreate,
    idempotency_key: str,
    now: datetime,
    tz: ZoneInfo,
    actor: str = APPLICANT_ACTOR,
    numbers: str = "random",
    vault: IdNumberVault | None = None,
) -> CreateOutcome:
    """Create a request once per idempotency key, with its consent and first event.

    ``actor`` is who submitted it: the applicant, or ``agent:<name>`` on the
    caller's behalf at the hotline. ``numbers`` is ``random`` (unguessable
    numbers with a check letter) or ``sequential`` (the older daily sequence,
    kept for development databases and tests). A resident ID number is stored
    only sealed by ``vault`` (with its keyed hash and masked form).
    """
    request_hash = fingerprint(payload)
    earlier = _find_by_key(session, idempotency_key)
    if earlier is not None:
        return _replay(earlier, request_hash)
    notice, agreed_at = consent.check_consent(
        session, kind=payload.kind, consent=payload.consent, now=now, tz=tz
    )
    local_today = now.astimezone(tz).date()
    details = checked_details(session, payload=payload, today=local_today)
    values = {
        "number": new_number(session, kind=payload.kind, local_date=local_today, style=numbers),
        "kind": payload.kind,
        "status": "submitted",
        "applicant_name": payload.applicant.name,
        "applicant_phone": payload.applicant.phone,
        "applicant_id_number": None,
        **_sealed_id(getattr(payload.applicant, "id_number", None), vault),
        "channel": payload.channel,
        "sender_id": payload.sender_id,
        "details": details,
        "idempotency_key": idempotency_key,
        "request_hash": request_hash,
        "created_at": now,
        "updated_at": now,
        "anonymised_at": None,
    }
    connection = session.connection()
    try:
        # the three rows by statements built once, not ORM objects and their flushes: the
        # ORM's bookkeeping was most of a submission's time here (docs/performance.md, row 43);
        # a concurrent twin fails on this first INSERT, on the unique key
        request_id = connection.execute(_INSERT_REQUEST, values).scalar_one()
        consent.record_consent(
            session,
            request_id=request_id,
            notice=notice,
            channel=payload.channel,
            sender_id=payload.sender_id,
            agreed_at=agreed_at,
            now=now,
        )
        connection.execute(
            _INSERT_EVENT,
            {
                "request_id": request_id,
                "actor": actor,
                "action": "created",
                "from_status": None,
                "to_status": "submitted",
                "note": f"渠道：{payload.channel}",
                "created_at": now,
            },
        )
        # the row as written, handed to the session as if just read back; before the commit,
        # which then leaves the session with no transaction open (its close is no I/O)
        request = ServiceRequest(id=request_id, **values)
        make_transient_to_detached(request)
        session.add(request)
        session.commit()
        metrics.request_created(payload.kind, payload.channel)
    except IntegrityError:
        session.rollback()
        earlier = _find_by_key(session, idempotency_key)
        if earlier is None:
            raise
        return _replay(earlier, request_hash)
    return CreateOutcome(request=request, created=True)


def _sealed_id(id_number: str | None, vault: IdNumberVault | None) -> dict[str, str | None]:
    """Return the ID columns: sealed value, keyed hash and masked form (or all None)."""
    if not id_number:
        return {"applicant_id_sealed": None, "applicant_id_hash": None, "applicant_id_masked": None}
    if vault is None:
        raise RuntimeError("ID_NUMBER_KEY is not set: resident ID numbers cannot be stored")
    return {
        "applicant_id_sealed": vault.seal(id_number),
        "applicant_id_hash": vault.lookup_hash(id_number),
        "applicant_id_masked": mask_id_number(id_number),
    }


def get_request(session: Session, *, number: str) -> ServiceRequest:
    """Find a request by its number (staff use: no ownership proof)."""
    request = _find_by_number(session, number)
    if request is None:
        raise NotFoundError("未找到该编号的申请，请核对后再试。")
    return request


def lookup_request(
    session: Session,
    *,
    number: str,
    phone_last4: str,
    now: datetime | None = None,
    channel: str | None = None,
    sender_id: str | None = None,
) -> ServiceRequest:
    """Find a request for its owner, who proves it with the phone's last four digits.

    With ``now`` (every HTTP caller) failed proofs are counted per number and
    per sender, and a locked number or sender is refused before the digits are
    even compared: the right digits too, and the same way for a number that
    does not exist (``TooManyAttemptsError``).
    """
    keys = guessing.proof_keys(number, channel=channel, sender_id=sender_id)
    if now is not None:
        guessing.check_not_locked(session, keys=keys, now=now)
    request = _find_by_number(session, number)
    stored_last4 = request.applicant_phone[-4:] if request is not None else "----"
    matches = hmac.compare_digest(stored_last4.encode(), phone_last4.encode())
    if request is None or not matches:
        if now is not None:
            guessing.record_failure(session, keys=keys, now=now)
        raise NotFoundError(_NOT_FOUND_MESSAGE)
    return request


def cancel_request(
    session: Session,
    *,
    number: str,
    phone_last4: str,
    reason: str,
    now: datetime,
    channel: str | None = None,
    sender_id: str | None = None,
) -> ServiceRequest:
    """Cancel an open request on its owner's behalf."""
    request = lookup_request(
        session,
        number=number,
        phone_last4=phone_last4,
        now=now,
        channel=channel,
        sender_id=sender_id,
    )
    if not can_cancel(request.status):
        raise InvalidTransitionError(f"该申请{STATUS_LABELS[request.status]}，无法取消。")
    return _move(
        session,
        request=request,
        to_status="cancelled",
        actor=APPLICANT_ACTOR,
        action="cancelled",
        note=reason or None,
        now=now,
    )


def update_status(
    session: Session,
    *,
    number: str,
    status: str,
    actor: str,
    note: str,
    now: datetime,
) -> ServiceRequest:
    """Move a request along its lifecycle on behalf of an agent or staff member."""
    request = get_request(session, number=number)
    if not can_move(request.status, status):
        raise InvalidTransitionError(
            f"申请当前为“{STATUS_LABELS[request.status]}”，"
            f"不能变更为“{STATUS_LABELS[status]}”。"
        )
    return _move(
        session,
        request=request,
        to_status=status,
        actor=actor,
        action="status_changed",
        note=note or None,
        now=now,
        notify=True,
    )


def add_note(
    session: Session, *, number: str, actor: str, action: str, note: str, now: datetime
) -> RequestEvent:
    """Append a note, a call summary or a record of access without changing the status."""
    request = get_request(session, number=number)
    event = _append_event(
        session,
        request=request,
        actor=actor,
        action=action,
        from_status=request.status,
        note=note or None,
        now=now,
    )
    session.commit()
    return event


def list_events(session: Session, *, number: str) -> list[RequestEvent]:
    """List a request's audit trail, oldest first."""
    request = get_request(session, number=number)
    return list(
        session.scalars(
            select(RequestEvent)
            .where(RequestEvent.request_id == request.id)
            .order_by(RequestEvent.created_at, RequestEvent.id)
        )
    )


def _find_by_key(session: Session, key: str) -> ServiceRequest | None:
    """Find the request submitted under ``key``; nearly always none, which one indexed read says."""
    found = session.connection().execute(_ID_BY_KEY, {"key": key}).first()
    return None if found is None else session.get(ServiceRequest, found.id)


def _find_by_number(session: Session, number: str) -> ServiceRequest | None:
    """Find by number; text that is not shaped like a number never reaches SQL."""
    candidate = number.strip().upper()
    if not NUMBER_PATTERN.fullmatch(candidate) or not check_letter_ok(candidate):
        return None
    return session.scalar(select(ServiceRequest).where(ServiceRequest.number == candidate))


def _replay(request: ServiceRequest, request_hash: str) -> CreateOutcome:
    """Return the earlier request for a retry; refuse a different body under one key."""
    if not hmac.compare_digest(request.request_hash, request_hash):
        raise IdempotencyConflictError()
    return CreateOutcome(request=request, created=False)


def _move(
    session: Session,
    *,
    request: ServiceRequest,
    to_status: str,
    actor: str,
    action: str,
    note: str | None,
    now: datetime,
    notify: bool = False,
) -> ServiceRequest:
    """Change the status only if nobody changed it meanwhile, and log the change.

    With ``notify`` (a staff move) the applicant is owed an update: the outbox
    row is written in the same transaction as the change (issue 15).
    """
    from_status = request.status
    result = session.execute(
        update(ServiceRequest)
        .where(ServiceRequest.id == request.id, ServiceRequest.status == from_status)
        .values(status=to_status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise InvalidTransitionError("该申请的状态刚刚发生了变化，请刷新后再试。")
    _append_event(
        session,
        request=request,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        now=now,
    )
    if notify:
        notifications.enqueue(session, request=request, status=to_status, now=now)
    session.commit()
    session.refresh(request)
    return request


def _append_event(
    session: Session,
    *,
    request: ServiceRequest,
    actor: str,
    action: str,
    from_status: str | None,
    note: str | None,
    now: datetime,
    to_status: str | None = None,
) -> RequestEvent:
    event = RequestEvent(
        request_id=request.id,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status or request.status,
        note=note,
        created_at=now,
    )
    session.add(event)
    return event
