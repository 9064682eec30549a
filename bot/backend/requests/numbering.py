"""Hand out per-kind, per-local-day request numbers without collisions."""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.backend.requests.lifecycle import format_number
from bot.backend.requests.models import RequestSequence

_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def next_number(session: Session, *, kind: str, local_date: date) -> str:
    """Take the next number in one atomic upsert.

    The counter row is locked (PostgreSQL) or the database is write-locked
    (SQLite) until the caller's transaction ends, so concurrent requests queue
    here, and a rolled-back request gives its number back.
    """
    dialect = session.get_bind().dialect.name
    if dialect not in _UPSERTS:
        raise NotImplementedError(f"request numbering needs SQLite or PostgreSQL, not {dialect}")
    insert = _UPSERTS[dialect]
    statement = (
        insert(RequestSequence)
        .values(kind=kind, local_date=local_date, last_value=1)
        # both dialects' Insert have it; mypy only sees their common base class
        .on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[RequestSequence.kind, RequestSequence.local_date],
            set_={"last_value": RequestSequence.last_value + 1},
        )
        .returning(RequestSequence.last_value)
    )
    sequence = session.execute(statement).scalar_one()
    return format_number(kind, local_date.strftime("%Y%m%d"), sequence)
