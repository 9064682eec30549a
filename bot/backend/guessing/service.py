"""Stop people guessing the phone digits that prove a request is theirs.

Every failed proof inserts one row per key it concerns: the request number
(whether or not such a request exists) and the sender that tried. A key with
``MAX_FAILURES`` failures within ``WINDOW`` is locked: every proof for it is
refused, the right digits too, until the oldest of those failures is older
than the window. Inserts are atomic on SQLite and PostgreSQL alike and the
count is read from the shared database, so every backend instance sees the
same lock, and a new sender id does not reset a number's count.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.backend.errors import TooManyAttemptsError
from bot.backend.guessing.models import ProofFailure
from bot.common.catalogue.numbers import NUMBER_PATTERN

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


def proof_keys(number: str, *, channel: str | None, sender_id: str | None) -> list[str]:
    """Name the counters a proof concerns: the number, and the sender if known.

    Text not shaped like a number can never be one: it gets no counter of its
    own (and never reaches SQL), only the sender's.
    """
    candidate = number.strip().upper()
    keys = [f"number:{candidate}"] if NUMBER_PATTERN.fullmatch(candidate) else []
    if sender_id:
        keys.append(f"sender:{channel or '-'}:{sender_id[:128]}")
    return keys


def check_not_locked(session: Session, *, keys: Iterable[str], now: datetime) -> None:
    """Refuse at once while any of the keys is locked (the same answer for every number)."""
    locks = [until for key in keys if (until := locked_until(session, key=key, now=now))]
    if locks:
        raise TooManyAttemptsError(retry_after=_seconds(max(locks) - now))


def record_failure(session: Session, *, keys: Iterable[str], now: datetime) -> None:
    """Count one failed proof against every key and commit it."""
    failures = [ProofFailure(key=key, created_at=now) for key in keys]
    if failures:
        session.add_all(failures)
        session.commit()


def locked_until(session: Session, *, key: str, now: datetime) -> datetime | None:
    """Return when a locked key opens again, or None if it is not locked."""
    recent = list(
        session.scalars(
            select(ProofFailure.created_at)
            .where(ProofFailure.key == key, ProofFailure.created_at > now - WINDOW)
            .order_by(ProofFailure.created_at.desc())
            .limit(MAX_FAILURES)
        )
    )
    if len(recent) < MAX_FAILURES:
        return None
    return recent[-1] + WINDOW


def sweep(session: Session, *, now: datetime) -> int:
    """Delete failures older than the window; they can no longer lock anything."""
    result = session.execute(delete(ProofFailure).where(ProofFailure.created_at <= now - WINDOW))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
