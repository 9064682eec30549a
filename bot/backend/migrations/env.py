"""Alembic environment: the URL comes from Settings unless a caller passes one."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

import bot.backend.models  # noqa: F401 - register every table on Base.metadata
from bot.backend.config import Settings
from bot.backend.db import Base, create_db_engine, normalise_database_url

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _database_url() -> str:
    """Prefer the URL handed over by a caller (tests, the CLI), else DATABASE_URL."""
    url = config.attributes.get("database_url")
    return str(url) if url else Settings().database_url


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,  # SQLite needs table copies to alter constraints
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of touching a database."""
    url = normalise_database_url(_database_url())
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_with(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through a live connection, ours or one handed over by a caller."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    engine = create_db_engine(_database_url())
    try:
        with engine.connect() as own_connection:
            _run_with(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
