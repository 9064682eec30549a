"""Give a service its own PostgreSQL role and database (operators and the prod launcher).

``python -m bot.backend.cli provision-postgres --role yucai_rasa --database yucai_rasa``
connects with an administrator URL (``POSTGRES_ADMIN_URL``), creates the role
if it is missing (LOGIN, optional password) and the database owned by it.
Idempotent; ``--drop`` removes the database again (tests).
"""

from __future__ import annotations

import re

import psycopg
from psycopg import sql

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _checked(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a plain PostgreSQL name: {name!r}")
    return name


def provision(admin_url: str, *, role: str, database: str, password: str | None = None) -> None:
    """Create ``role`` (LOGIN) and ``database`` owned by it, unless they exist."""
    role, database = _checked(role), _checked(database)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as admin:
        if admin.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone() is None:
            admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        if password:
            admin.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
        exists = admin.execute("select 1 from pg_database where datname = %s", (database,))
        if exists.fetchone() is None:
            admin.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(database), sql.Identifier(role)
                )
            )


def drop(admin_url: str, *, database: str) -> None:
    """Remove ``database``, closing its connections (the role stays: roles are shared)."""
    database = _checked(database)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )
