"""The policy knowledge base: cited answers, loaded from reviewed data files.

Usage::

    from bot.knowledge import load_knowledge_base
    kb = load_knowledge_base()
    hits = kb.search("青年人才公租房有多少套")
    if hits and hits[0].confident:
        print(hits[0].entry.reply())
"""

from __future__ import annotations

from functools import lru_cache

from bot.knowledge.english import EnglishHit, EnglishIndex
from bot.knowledge.loader import load_entries, load_sources
from bot.knowledge.model import POLICY_TOPICS, Entry, KnowledgeError, Source
from bot.knowledge.search import KnowledgeIndex, SearchHit

__all__ = [
    "POLICY_TOPICS",
    "EnglishHit",
    "Entry",
    "KnowledgeBase",
    "KnowledgeError",
    "SearchHit",
    "Source",
    "load_knowledge_base",
]


class KnowledgeBase(KnowledgeIndex):
    """The validated entries of every topic, searchable."""

    def __init__(self, entries: list[Entry]) -> None:
        super().__init__(entries)
        self._english = EnglishIndex(entries)

    def search_english(self, text: str, limit: int = 3) -> list[EnglishHit]:
        """Return the best entries for an English question, by their English answers."""
        return self._english.search(text, limit)

    def by_id(self, entry_id: str) -> Entry:
        """Return one entry by its id (KeyError if there is none)."""
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise KeyError(entry_id)

    def in_topic(self, topic: str) -> list[Entry]:
        """Return the entries of a topic; the first is the topic's overview."""
        return [entry for entry in self.entries if entry.topic == topic]

    def best_in_topic(self, topic: str, text: str) -> Entry | None:
        """Return the best entry for a question known to be on a topic, else its overview."""
        hits = self.search(text, limit=1, topic=topic)
        if hits and hits[0].score > 0:
            return hits[0].entry
        entries = self.in_topic(topic)
        return entries[0] if entries else None


@lru_cache(maxsize=1)
def load_knowledge_base() -> KnowledgeBase:
    """Load and validate the knowledge files once per process."""
    return KnowledgeBase(load_entries(sources=load_sources()))
