"""How a session that carries on a long conversation is marked (bot/serving/long_sessions.py).

Shared by the Rasa process, which writes the mark, and the backend's
analytics, which must count such a session as the same conversation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: key in a ``session_started`` event's metadata: the session continues the one before it
CONTINUED = "continued"


def is_continued(event: Mapping[str, Any]) -> bool:
    """Tell whether a serialised ``session_started`` event continues a long conversation."""
    return bool((event.get("metadata") or {}).get(CONTINUED))
