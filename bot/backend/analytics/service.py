"""Wire the analytics pieces to the backend's settings: the consumer and a replay of a file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.backend.analytics.consumer import BrokerSettings, Consumer
from bot.backend.analytics.events import BadEventError, Parsed, decode, parse
from bot.backend.analytics.ingest import Ingester, IngestReport
from bot.backend.config import Settings
from bot.backend.db import create_db_engine, create_session_factory

#: the sender pseudonyms' key when no ID_NUMBER_KEY is set (development only)
DEV_SENDER_KEY = b"yucai-analytics-development"


def ingester_for(settings: Settings) -> Ingester:
    """Build the ingester; sender ids are hashed with a key derived from ID_NUMBER_KEY."""
    secret = settings.id_number_key.get_secret_value().strip().encode()
    key = hashlib.sha256(b"analytics-sender\x1f" + secret).digest() if secret else DEV_SENDER_KEY
    return Ingester(sender_key=key, tz=settings.tz)


def consumer_for(settings: Settings, broker: BrokerSettings) -> Consumer:
    """Build a consumer on the configured database and queue."""
    engine = create_db_engine(settings.database_url)
    return Consumer(broker, create_session_factory(engine), ingester_for(settings))


def read_stream(path: Path) -> list[dict[str, Any]]:
    """Read a recorded event stream: a JSON array, or one JSON object per line."""
    text = path.read_text(encoding="utf-8").strip()
    if text.startswith("["):
        loaded = json.loads(text)
        return [item for item in loaded if isinstance(item, dict)]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def replay(settings: Settings, events: list[dict[str, Any]]) -> tuple[IngestReport, int]:
    """Store a recorded stream as the consumer would; return the report and the bad count."""
    parsed: list[Parsed | None] = []
    bad = 0
    for event in events:
        try:
            parsed.append(parse(decode(event)))
        except BadEventError:
            bad += 1
    engine = create_db_engine(settings.database_url)
    try:
        with Session(engine) as session:
            return ingester_for(settings).store(session, parsed), bad
    finally:
        engine.dispose()
