"""What a knowledge-base entry is: one policy point, its answer and its source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.common.catalogue import FORM_KINDS

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
# request kinds an answer may offer to open (the form kinds of the request catalogue)
REQUEST_KINDS = tuple(kind.code for kind in FORM_KINDS)


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
    title_en: str = ""
    issuer_en: str = ""

    def cite(self) -> str:
        """Return the one-line citation shown under an answer."""
        when = f"（{self.published:%Y年%-m月%-d日}）" if self.published else ""
        return f"来源：{self.issuer}《{self.title}》{when}"

    def cite_en(self) -> str:
        """Return the citation in English, naming the original (Chinese) document too."""
        when = f", {self.published:%-d %B %Y}" if self.published else ""
        issuer = self.issuer_en or self.issuer
        english = f' ("{self.title_en}")' if self.title_en else ""
        return f"Source: {issuer}, 《{self.title}》{english}{when}"


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
    # the same answer in English, for foreign experts (外籍人才), and its question forms
    answer_en: str = ""
    questions_en: tuple[str, ...] = ()
    keywords_en: tuple[str, ...] = ()

    def cite(self) -> str:
        """Return the source line of this answer."""
        return self.source.cite()

    def checked_note(self) -> str:
        """Say when the answer was last checked against its source (the source has no date)."""
        return checked_line([self])

    def reply(self) -> str:
        """Return the answer with its checked date and source line, as the assistant says it."""
        return f"{self.answer}\n{self.checked_note()}{self.cite()}"

    def reply_en(self) -> str:
        """Return the English answer with its checked date and source line."""
        return f"{self.answer_en}\n{checked_line_en([self])}{self.source.cite_en()}"


def checked_line(entries: list[Entry]) -> str:
    """Say when the answers were last checked: the oldest check of those given."""
    oldest = min(entry.checked for entry in entries)
    return f"（{oldest:%Y年%-m月%-d日}核对）"


def checked_line_en(entries: list[Entry]) -> str:
    """Say in English when the answers were last checked."""
    oldest = min(entry.checked for entry in entries)
    return f"(checked {oldest:%-d %B %Y}) "
