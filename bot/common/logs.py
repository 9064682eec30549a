"""Log lines of all three processes: one request id per turn, JSON in production, PII masked.

A turn's id is made where the user's message comes in (a Rasa channel), or
taken from the caller's ``X-Request-ID``; it rides in the message metadata
to the action server (``tracker.latest_message['metadata']['request_id']``)
and in ``X-Request-ID`` to the backend, which echoes it. Each process keeps
the id of the work at hand in a context variable that ``RequestIdFilter``
writes on every record.

``LOG_FORMAT`` chooses the lines: ``plain`` (readable, ``make run``) or
``json`` (one object a line, python-json-logger); unset, the production
profile (``YUCAI_PROFILE=production``) logs JSON and everything else plain.
Used by ``bot/logging.yml`` (Rasa, the action server) and the backend's
uvicorn configuration (``bot/backend/cli.py``).
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from bot.common.pii import mask_text

__all__ = [
    "HEADER",
    "METADATA_KEY",
    "MaskingJsonFormatter",
    "RequestIdFilter",
    "clean_request_id",
    "formatter",
    "log_format",
    "new_request_id",
    "request_id",
]

#: the HTTP header carrying a turn's id between the processes, and back to callers
HEADER = "X-Request-ID"
#: where a turn's id rides in a user message's metadata (Rasa → action server)
METADATA_KEY = "request_id"
#: the id of the turn or request this task is working on
request_id: ContextVar[str | None] = ContextVar("yucai_request_id", default=None)

PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] - %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(process)d %(request_id)s %(message)s"
_RENAMED = {"levelname": "level", "name": "logger"}
#: uvicorn's copy of the message with terminal colours: noise in a JSON line
_TERMINAL_ONLY = frozenset({"color_message"})
# a caller's id is logged on every line: plain characters only, so it cannot forge lines
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def new_request_id() -> str:
    """Make a fresh id for a turn that came without one."""
    return uuid.uuid4().hex


def clean_request_id(value: object) -> str | None:
    """Return a caller's id when it is short and plain, None otherwise (then make one)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if _ACCEPTABLE_ID.match(value) else None


def log_format(env: Mapping[str, str] | None = None) -> str:
    """Choose ``json`` or ``plain`` from LOG_FORMAT, else from the profile."""
    env = os.environ if env is None else env
    chosen = env.get("LOG_FORMAT", "").strip().lower()
    if chosen in ("json", "plain"):
        return chosen
    if chosen:
        raise ValueError(f"LOG_FORMAT must be json or plain, not {chosen!r}")
    return "json" if env.get("YUCAI_PROFILE", "").strip() == "production" else "plain"


class RequestIdFilter(logging.Filter):
    """Write the current request id (``-`` outside a request) on every record."""

    def __init__(self, name: str = "", context: ContextVar[str | None] | None = None) -> None:
        """Read the id from ``context`` (the shared ``request_id`` unless told otherwise)."""
        super().__init__(name)
        self.context = request_id if context is None else context

    def filter(self, record: logging.LogRecord) -> bool:
        """Add ``record.request_id``; never drops a record."""
        current = self.context.get()
        record.request_id = mask_text(current) if current else "-"
        return True


class MaskingJsonFormatter(JsonFormatter):
    """python-json-logger's formatter, with phones and ID numbers masked in every field.

    ``PiiMaskingFilter`` already masks the message and the traceback text, but
    python-json-logger formats ``exc_info`` itself and adds ``extra=`` fields,
    which that filter never sees; so every string is masked here once more.
    """

    def formatException(self, ei: Any) -> str | list[str]:  # type: ignore[override]  # noqa: N802
        """Render a traceback with the numbers in it masked."""
        return _masked(super().formatException(ei))

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        """Mask every string value (nested ones too) before it is written."""
        return {key: _masked(value) for key, value in log_data.items() if key not in _TERMINAL_ONLY}


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


def formatter(fmt: str | None = None) -> logging.Formatter:
    """Build the formatter LOG_FORMAT asks for (a ``()`` factory for logging configs)."""
    if log_format() == "json":
        return MaskingJsonFormatter(
            JSON_FIELDS, rename_fields=_RENAMED, timestamp="time", json_ensure_ascii=False
        )
    return logging.Formatter(fmt or PLAIN_FORMAT)
