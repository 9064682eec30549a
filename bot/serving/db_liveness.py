"""Notice a tracker-store connection the PostgreSQL server has closed, without a query per checkout.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` each time a connection leaves
the pool: on the production topology that was two round trips a turn, each a
blocking wait in the Rasa process's event loop (6 % of an instance's samples
under load, py-spy; docs/performance.md, row 28). ``watch`` checks instead:

- **on every checkout, the socket**: a server that ends a session (a restart,
  ``pg_terminate_backend``, a failover's fast shutdown) sends its FATAL notice and
  closes the socket, so an idle connection with anything to read, or a hang-up,
  is dead. One ``poll`` with no wait, no round trip: such a connection is
  dropped and the pool hands out a fresh one (SQLAlchemy's ``DisconnectionError``
  from a checkout handler), as the pre-ping did;
- **after ``FULL_PING_AFTER_S`` of rest, a real ping**, for what no socket shows:
  a connection a firewall or NAT dropped while it sat idle. Traffic that keeps a
  connection busy makes the round trip rare; a quiet pool pays it when it
  matters, at the first turn after the rest.

A server that vanishes without closing anything (its host powered off) is caught
by neither, nor by the pre-ping: that turn fails and SQLAlchemy invalidates the
whole pool on the disconnect error, as before. SQLite (``make run``) is left alone.
"""

from __future__ import annotations

import select
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

#: a connection idle for longer than this is pinged at its next checkout
FULL_PING_AFTER_S = 10.0
#: where a pooled connection's record keeps when it was last handed back
_RESTED_FROM = "yucai_rested_from"


def watch(engine: Engine) -> None:
    """Check ``engine``'s PostgreSQL connections on checkout (once per engine; no-op elsewhere)."""
    if engine.dialect.name != "postgresql" or event.contains(engine, "checkout", _check):
        return
    event.listen(engine, "checkin", _rested_from)
    event.listen(engine, "checkout", _check)


def _rested_from(dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info[_RESTED_FROM] = time.monotonic()


def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    rested_from = record.info.get(_RESTED_FROM)
    if rested_from is None:
        return  # never handed back: connected just now
    if closed_by_server(dbapi_connection):
        raise DisconnectionError("the server closed this connection while it was in the pool")
    if time.monotonic() - rested_from > FULL_PING_AFTER_S and not answers(dbapi_connection):
        raise DisconnectionError("this connection no longer answers")


def closed_by_server(dbapi_connection: Any) -> bool:
    """Tell whether an idle psycopg2 connection is closed, or has something unasked to read."""
    if dbapi_connection.closed:
        return True
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))  # hang-ups and errors are always reported


def answers(dbapi_connection: Any) -> bool:
    """Ping as SQLAlchemy's ``pool_pre_ping`` does (``SELECT 1``); False if it fails."""
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means: do not use this connection
        return False
    return True
