"""Mask phone and ID numbers in everything the backend and its server log."""

from __future__ import annotations

import logging

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
