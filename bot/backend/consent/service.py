"""Publishing notices and checking and recording consent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from bot.backend.consent.models import ConsentNotice, ConsentRecord
from bot.backend.consent.notices import NOTICES, NoticeText
from bot.backend.consent.schemas import ConsentCreate
from bot.backend.errors import ConsentRequiredError, NotFoundError

#: Clients' clocks drift; consent a little "from the future" is still accepted.
CLOCK_SKEW = timedelta(minutes=5)


class NoticeRef(NamedTuple):
    """A published notice as a submission needs it: its row and its version, not its text."""

    id: int
    version: str


#: Every submission checks its notice and records its consent: statements built once and run
#: on the session's connection, not through the ORM (docs/performance.md, row 43).
_CURRENT_NOTICE = (
    select(ConsentNotice.id, ConsentNotice.version)
    .where(ConsentNotice.kind == bindparam("kind"))
    .order_by(ConsentNotice.published_at.desc(), ConsentNotice.id.desc())
    .limit(1)
)
_INSERT_RECORD = insert(ConsentRecord)


class NoticeChangedError(RuntimeError):
    """A published notice version was edited in code, which must never happen."""


class NoticeMissingError(RuntimeError):
    """No notice is published for a kind, so nobody can consent (run init-db)."""


def sync_notices(session: Session, *, notices: Iterable[NoticeText] = NOTICES) -> int:
    """Insert notice versions missing from the database; return how many were added."""
    existing = {row.version: row for row in session.scalars(select(ConsentNotice))}
    added = 0
    for notice in notices:
        row = existing.get(notice.version)
        if row is None:
            session.add(
                ConsentNotice(
                    kind=notice.kind,
                    version=notice.version,
                    text=notice.text,
                    published_at=notice.published_at,
                )
            )
            added += 1
        elif row.text != notice.text or row.kind != notice.kind:
            raise NoticeChangedError(
                f"notice {notice.version} differs from the published text; "
                "publish a new version instead of editing this one"
            )
    session.flush()
    return added


def find_current_notice(session: Session, *, kind: str) -> ConsentNotice | None:
    """Return the latest published notice of ``kind``, if any was published."""
    return session.scalar(
        select(ConsentNotice)
        .where(ConsentNotice.kind == kind)
        .order_by(ConsentNotice.published_at.desc(), ConsentNotice.id.desc())
        .limit(1)
    )


def get_current_notice(session: Session, *, kind: str) -> ConsentNotice:
    """Return the latest published notice of ``kind`` or report it missing."""
    notice = find_current_notice(session, kind=kind)
    if notice is None:
        raise NotFoundError("该类服务的个人信息告知书尚未发布，请联系工作人员。")
    return notice


def check_consent(
    session: Session,
    *,
    kind: str,
    consent: ConsentCreate | None,
    now: datetime,
    tz: ZoneInfo,
) -> tuple[NoticeRef, datetime]:
    """Return the notice agreed to and the aware consent time, or refuse the request."""
    if consent is None:
        raise ConsentRequiredError(fields={"consent": "缺少个人信息告知同意记录"})
    row = session.connection().execute(_CURRENT_NOTICE, {"kind": kind}).first()
    notice = None if row is None else NoticeRef(*row)
    if notice is None:  # init-db was not run: an operator problem, not the user's
        raise NoticeMissingError(f"no consent notice published for kind {kind!r}")
    if consent.notice_version != notice.version:
        raise ConsentRequiredError(
            "个人信息告知书已更新，请阅读并同意最新版本后再提交。",
            fields={"consent.notice_version": f"当前版本为 {notice.version}"},
        )
    agreed_at = consent.agreed_at
    if agreed_at.tzinfo is None or agreed_at.utcoffset() is None:
        agreed_at = agreed_at.replace(tzinfo=tz)
    if agreed_at > now + CLOCK_SKEW:
        raise ConsentRequiredError(fields={"consent.agreed_at": "同意时间不能晚于当前时间"})
    return notice, agreed_at


def record_consent(
    session: Session,
    *,
    request_id: int,
    notice: NoticeRef,
    channel: str,
    sender_id: str,
    agreed_at: datetime,
    now: datetime,
) -> None:
    """Keep the proof of consent next to the request it was given for."""
    session.connection().execute(
        _INSERT_RECORD,
        {
            "request_id": request_id,
            "notice_id": notice.id,
            "channel": channel,
            "sender_id": sender_id,
            "agreed_at": agreed_at,
            "recorded_at": now,
        },
    )


def get_consent_record(session: Session, *, request_id: int) -> ConsentRecord | None:
    """Find the consent given with a request."""
    return session.scalar(select(ConsentRecord).where(ConsentRecord.request_id == request_id))
