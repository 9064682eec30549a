"""Plain helpers of the browser tests: where artifacts go, and what the servers recorded."""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.request
from typing import Any

from bot.launcher import ROOT, Stack

ARTIFACTS = ROOT / "var" / "test-results" / "browser"
NUMBER = re.compile(r"\b(HS|SC|HP)\d{8}-\d{4}[A-Z]?\b")


def backend_rows(stack: Stack, sql: str, *params: Any) -> list[sqlite3.Row]:
    """Query the backend's own database."""
    path = stack.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute(sql, params))


def tracker(stack: Stack, sender_id: str) -> dict[str, Any]:
    """Read a conversation through Rasa's HTTP API."""
    url = f"{stack.rasa_url}/conversations/{sender_id}/tracker"
    request = urllib.request.Request(url, headers=stack.rasa_headers())
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))
