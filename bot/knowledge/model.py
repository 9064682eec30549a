"""What a knowledge-base entry is: one policy point, its answer and its source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# the topics of the evaluation contract (shared/spec/topics.md) that policy
# answers belong to; request, small-talk and dialogue topics have no entries
POLICY_TOPICS = (
    "housing_policy",
    "school_policy",
    "hospital_policy",
    "hukou",
    "talent_code",
    "funding",
    "tech_transfer",
    "finance",
    "staffing",
    "general_service",
)
# request kinds an answer may offer to open (actions/request_kinds.py)
REQUEST_KINDS = ("housing", "schooling", "hospital", "settlement")


class KnowledgeError(ValueError):
    """A knowledge file is missing, malformed or refers to something unknown."""


@dataclass(frozen=True)
class Source:
    """A published document or article that answers are taken from."""

    key: str
    title: str
    kind: str
    issuer: str
    published: dt.date | None = None
    published_note: str = ""

    def cite(self) -> str:
        """Return the one-line citation shown under an answer."""
        when = f"（{self.published:%Y年%-m月%-d日}）" if self.published else ""
        return f"来源：{self.issuer}《{self.title}》{when}"


@dataclass(frozen=True)
class Entry:
    """One policy point: the questions it answers, the answer, where it comes from."""

    id: str
    topic: str
    title: str
    questions: tuple[str, ...]
    answer: str
    source: Source
    checked: dt.date
    effective: dt.date | None = None
    keywords: tuple[str, ...] = ()
    offer: str | None = None
    # documents the answer names, cited beside the article that reports them
    documents: tuple[str, ...] = field(default=())

    def cite(self) -> str:
        """Return the source line of this answer."""
        return self.source.cite()

    def reply(self) -> str:
        """Return the answer with its source line, as the assistant says it."""
        return f"{self.answer}\n{self.cite()}"
