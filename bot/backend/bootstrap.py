"""Prepare a database: migrate, load districts and notices, import hospitals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from bot.backend import migrate
from bot.backend.consent.service import sync_notices
from bot.backend.db import create_db_engine
from bot.backend.reference import service as reference
from bot.backend.reference.loaders import read_hospitals_csv
from bot.common.reference import load_districts

REFERENCE_DATA = Path(__file__).resolve().parent.parent / "reference_data"
DISTRICTS_CSV = REFERENCE_DATA / "districts.csv"
SAMPLE_HOSPITALS_CSV = REFERENCE_DATA / "hospitals.sample.csv"


@dataclass(frozen=True)
class InitReport:
    """What ``init_db`` changed, for the operator."""

    districts: reference.ImportSummary
    notices_added: int
    hospitals: reference.ImportSummary | None


def init_db(
    database_url: str,
    *,
    now: datetime,
    districts_csv: Path = DISTRICTS_CSV,
    hospitals_csv: Path = SAMPLE_HOSPITALS_CSV,
) -> InitReport:
    """Upgrade to the latest schema and load reference data; safe to run again."""
    migrate.upgrade(database_url)
    engine = create_db_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            districts = reference.upsert_districts(
                session, districts=load_districts(districts_csv), now=now
            )
            notices_added = sync_notices(session)
            hospitals = None
            if reference.count_hospitals(session) == 0:
                rows = read_hospitals_csv(
                    hospitals_csv, district_names=reference.district_names(session)
                )
                hospitals = reference.import_hospitals(session, rows=rows, now=now)
    finally:
        engine.dispose()
    return InitReport(districts=districts, notices_added=notices_added, hospitals=hospitals)


def import_hospitals_file(
    database_url: str, *, path: Path, now: datetime
) -> reference.ImportSummary:
    """Check a whole hospital CSV, then upsert it in one transaction."""
    engine = create_db_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            rows = read_hospitals_csv(path, district_names=reference.district_names(session))
            return reference.import_hospitals(session, rows=rows, now=now)
    finally:
        engine.dispose()
