"""Reading and loading reference data; callers own the transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from bot.backend.reference.loaders import HospitalRow
from bot.backend.reference.models import District, Hospital, HospitalDepartment
from bot.common.reference import District as DistrictRecord


@dataclass(frozen=True)
class ImportSummary:
    """How many rows an import created and updated."""

    created: int
    updated: int


def list_districts(session: Session) -> list[District]:
    """List districts in the order of ``districts.csv``."""
    return list(session.scalars(select(District).order_by(District.sort_order)))


def district_names(session: Session) -> set[str]:
    """Return the canonical district names known to the database."""
    return set(session.scalars(select(District.name)))


#: a submission names its district by its official name: one row looked up by a statement built
#: once, on the session's connection (docs/performance.md, row 43)
_DISTRICT_NAMED = select(District.name).where(District.name == bindparam("name"))


def district_name(session: Session, *, text: str) -> str | None:
    """Return the official name of the district ``text`` names (or one of its aliases)."""
    if session.connection().execute(_DISTRICT_NAMED, {"name": text}).first() is not None:
        return text
    district = find_district(session, text=text)
    return None if district is None else district.name


def find_district(session: Session, *, text: str) -> District | None:
    """Find a district by its canonical name or one of its listed aliases (exact)."""
    district = session.scalar(select(District).where(District.name == text))
    if district is not None:
        return district
    for candidate in list_districts(session):
        if text in candidate.aliases:
            return candidate
    return None


def upsert_districts(
    session: Session, *, districts: Iterable[DistrictRecord], now: datetime
) -> ImportSummary:
    """Insert or update districts by code, keeping the file's order."""
    existing = {row.code: row for row in session.scalars(select(District))}
    created = updated = 0
    for order, record in enumerate(districts):
        row = existing.get(record.code)
        values = {
            "name": record.name,
            "kind": record.kind,
            "aliases": list(record.aliases),
            "sort_order": order,
        }
        if row is None:
            session.add(District(code=record.code, updated_at=now, **values))
            created += 1
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = now
            updated += 1
    session.flush()
    return ImportSummary(created=created, updated=updated)


def list_hospitals(session: Session) -> list[Hospital]:
    """List hospitals in the order they were first imported."""
    return list(session.scalars(select(Hospital).order_by(Hospital.id)))


def count_hospitals(session: Session) -> int:
    """Count hospitals, to know whether the sample list still needs importing."""
    return session.scalar(select(func.count()).select_from(Hospital)) or 0


def get_hospital(session: Session, *, code: str) -> Hospital | None:
    """Find a hospital by its stable code."""
    return session.scalar(select(Hospital).where(Hospital.code == code))


def import_hospitals(
    session: Session, *, rows: Iterable[HospitalRow], now: datetime
) -> ImportSummary:
    """Upsert hospitals by code and make each one's departments match the file."""
    codes_by_name = {d.name: d.code for d in session.scalars(select(District))}
    created = updated = 0
    for row in rows:
        hospital = get_hospital(session, code=row.code)
        if hospital is None:
            hospital = Hospital(code=row.code, created_at=now)
            session.add(hospital)
            created += 1
        else:
            updated += 1
        hospital.name = row.name
        hospital.short_names = list(row.short_names)
        hospital.district_code = codes_by_name[row.district]
        hospital.green_channel_24h = row.green_channel_24h
        hospital.is_sample = row.is_sample
        hospital.updated_at = now
        _sync_departments(session, hospital, row.departments)
    session.flush()
    return ImportSummary(created=created, updated=updated)


def _sync_departments(session: Session, hospital: Hospital, names: tuple[str, ...]) -> None:
    """Keep departments that stay, drop the ones gone, add the new ones."""
    current = {department.name: department for department in hospital.departments}
    for name, department in current.items():
        if name not in names:
            hospital.departments.remove(department)
    session.flush()  # deletes first, so a re-added name never hits the unique key
    for order, name in enumerate(names):
        kept = current.get(name)
        if kept is None or kept not in hospital.departments:
            hospital.departments.append(HospitalDepartment(name=name, sort_order=order))
        else:
            kept.sort_order = order
