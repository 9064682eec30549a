"""The embedded SQLite backend keeps every commit through a power cut, in WAL mode."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import inspect, text

from bot.backend.bootstrap import init_db
from bot.backend.db import create_db_engine
from tests.backend.conftest import FIXED_NOW


def test_a_backend_connection_writes_through_the_wal_and_syncs_each_commit(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'backend.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_an_initialised_database_is_whole_in_its_file_once_closed(tmp_path: Path) -> None:
    path = tmp_path / "ready.db"
    init_db(f"sqlite:///{path}", now=FIXED_NOW)
    assert not Path(f"{path}-wal").exists()  # checkpointed when init-db's engine closed
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # kept by the file
    copy = tmp_path / "copy.db"
    shutil.copyfile(path, copy)  # as the tests copy their template
    original = create_db_engine(f"sqlite:///{path}")
    copied = create_db_engine(f"sqlite:///{copy}")
    try:
        tables = inspect(original).get_table_names()
        assert {"alembic_version", "district", "hospital", "service_request"} <= set(tables)
        assert inspect(copied).get_table_names() == tables
        counts = {}
        for table in tables:
            query = text(f'SELECT count(*) FROM "{table}"')
            with original.connect() as a, copied.connect() as b:
                counts[table] = a.execute(query).scalar()
                assert b.execute(query).scalar() == counts[table]
        assert counts["district"] > 0 and counts["hospital"] > 0  # the reference data came along
    finally:
        original.dispose()
        copied.dispose()
