"""Settings of the action server, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class ActionSettings:
    """Where the backend is and how long to wait for it."""

    backend_url: str
    backend_token: str
    connect_timeout: float
    read_timeout: float
    max_validation_failures: int

    @classmethod
    def from_env(cls) -> ActionSettings:
        """Build the settings from environment variables with local defaults."""
        return cls(
            backend_url=os.environ.get("BACKEND_URL", "http://127.0.0.1:8000").rstrip("/"),
            # no default: the action server refuses to start without it (actions/server.py)
            backend_token=os.environ.get("BACKEND_API_TOKEN", ""),
            connect_timeout=float(os.environ.get("BACKEND_CONNECT_TIMEOUT", "2")),
            read_timeout=float(os.environ.get("BACKEND_READ_TIMEOUT", "8")),
            max_validation_failures=int(os.environ.get("MAX_VALIDATION_FAILURES", "3")),
        )


@lru_cache(maxsize=1)
def get_settings() -> ActionSettings:
    """Return the process-wide settings (read on first use, not at import)."""
    return ActionSettings.from_env()
