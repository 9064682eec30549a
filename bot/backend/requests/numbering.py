"""Hand out request numbers: random with a check letter (default), or the older daily sequence."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.backend.requests.lifecycle import format_number
from bot.backend.requests.models import RequestSequence, ServiceRequest
from bot.common.catalogue.numbers import format_random_number

#: With 10,000 numbers per kind and day, ten misses in a row mean the day is nearly full.
_RANDOM_TRIES = 10

_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}

#: built once, run on the session's connection: every submission asks (docs/performance.md, row 43)
_NUMBER_TAKEN = select(ServiceRequest.id).where(ServiceRequest.number == bindparam("number"))


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


def new_number(session: Session, *, kind: str, local_date: date, style: str = "random") -> str:
    """Return a number nobody holds yet; ``random`` unless the settings ask for ``sequential``.

    Random numbers cannot be enumerated (four random digits per kind and day
    and a check letter); the unique key on ``number`` still guards a race.
    """
    if style == "sequential":
        return next_number(session, kind=kind, local_date=local_date)
    day = local_date.strftime("%Y%m%d")
    for _ in range(_RANDOM_TRIES):
        number = format_random_number(kind, day)
        taken = session.connection().execute(_NUMBER_TAKEN, {"number": number}).first()
        if taken is None:
            return number
    raise RuntimeError(f"no free {kind} number left for {day}")
