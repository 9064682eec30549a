"""The intent → topic map (data/topics.yml), shared by the actions and the console."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

TOPICS_FILE = Path(__file__).resolve().parents[2] / "data" / "topics.yml"


@lru_cache(maxsize=1)
def intent_topics() -> dict[str, str]:
    """Return intent → evaluation topic, as data/topics.yml declares it."""
    data = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in (data.get("topics") or {}).items()}


def topic_of(intent: str | None) -> str | None:
    """Return the topic of an intent, or of a retrieval intent's base (faq/x → faq)."""
    if not intent:
        return None
    topics = intent_topics()
    return topics.get(intent) or topics.get(intent.split("/")[0])
