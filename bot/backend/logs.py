"""The backend's log lines: request ids, JSON in production, phone and ID numbers masked."""

from __future__ import annotations

import copy
import logging
from typing import Any

from asgi_correlation_id import correlation_id
from uvicorn.config import LOGGING_CONFIG

from bot.common.logs import RequestIdFilter, log_format
from bot.common.pii import install_pii_filter, mask_text

#: Loggers whose records may carry personal data (besides ``bot.backend.*``).
MASKED_LOGGERS = ("bot.backend", "uvicorn", "uvicorn.error")
ACCESS_LOGGER = "uvicorn.access"


class AccessLogMaskingFilter(logging.Filter):
    """Mask numbers in access-log arguments but keep them a tuple.

    uvicorn's access formatter unpacks ``record.args`` (client, method, path,
    version, status), so the shared filter, which renders and clears the
    arguments, cannot be used there.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite string arguments (the path above all) with numbers masked."""
        if isinstance(record.args, tuple):
            record.args = tuple(
                mask_text(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def install_log_masking() -> None:
    """Attach masking filters to the backend's and the server's loggers (idempotent)."""
    backend_loggers = [
        name for name in logging.root.manager.loggerDict if name.startswith("bot.backend.")
    ]
    install_pii_filter(*MASKED_LOGGERS, *backend_loggers)
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, AccessLogMaskingFilter) for f in access.filters):
        access.addFilter(AccessLogMaskingFilter())


class HeaderRequestIdFilter(RequestIdFilter):
    """Write the ``X-Request-ID`` of the request at hand (asgi-correlation-id's) on records."""

    def __init__(self, name: str = "") -> None:
        """Read asgi-correlation-id's context variable."""
        super().__init__(name, context=correlation_id)


def server_log_config() -> dict[str, Any]:
    """Return uvicorn's logging config with request ids and the LOG_FORMAT lines.

    The id is asgi-correlation-id's (``X-Request-ID``, set by the middleware in
    ``bot/backend/main.py``); LOG_FORMAT and the profile choose JSON or plain
    lines (``bot/common/logs.py``). Masking is added by ``install_log_masking``.
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    # names, not objects: uvicorn's worker processes receive this config pickled
    config["filters"] = {"request_id": {"()": "bot.backend.logs.HeaderRequestIdFilter"}}
    config["formatters"]["default"] = {"()": "bot.common.logs.formatter"}
    if log_format() == "json":
        config["formatters"]["access"] = {"()": "bot.common.logs.formatter"}
    else:
        config["formatters"]["access"]["fmt"] = (
            '%(asctime)s %(levelprefix)s [%(request_id)s] %(client_addr)s - "%(request_line)s" '
            "%(status_code)s"
        )
    for handler in config["handlers"].values():
        handler["filters"] = ["request_id"]
    backend = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"]["bot.backend"] = backend
    # libraries' warnings (SQLAlchemy, asgi-correlation-id) in the same lines
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    return config
