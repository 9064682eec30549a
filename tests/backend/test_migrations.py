"""Migrations go up, down and up again, and match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.backend import migrate
from bot.backend.db import create_db_engine
from bot.backend.models import Base

TABLES = {
    "agent",
    "agent_audit",
    "agent_session",
    "alembic_version",
    "analytics_conversation",
    "analytics_event",
    "analytics_question",
    "consent_notice",
    "consent_record",
    "district",
    "handoff",
    "handoff_message",
    "hospital",
    "hospital_department",
    "notification",
    "notification_opt_out",
    "proof_failure",
    "request_event",
    "request_sequence",
    "service_request",
}


def table_names(database_url: str) -> set[str]:
    """List the tables that exist now."""
    engine = create_db_engine(database_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    migrate.upgrade(database_url)
    assert table_names(database_url) == TABLES
    migrate.downgrade(database_url, "base")
    assert table_names(database_url) <= {"alembic_version"}
    migrate.upgrade(database_url)
    assert table_names(database_url) == TABLES


def test_migrations_match_the_models(database_url: str) -> None:
    migrate.upgrade(database_url)
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
