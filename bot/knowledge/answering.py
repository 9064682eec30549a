"""Which entries answer a message: every part of it, and only what they cover.

`split_parts` cuts a message that asks several things ("A 多少？B 呢？",
"原来多少天，现在多少天") into its questions. `choose_entries` finds one entry
per part and keeps it only if it clears the coverage bar: the entry itself
covers the part (SearchHit.confident), or the topic the classifier chose knows
its words (TopicVocabulary). Nothing clears the bar: no answer, and the
assistant says it is not sure. `compose_reply` puts the answers together with
one checked-date and source line at the end.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.knowledge.coverage import TopicVocabulary
from bot.knowledge.model import Entry, checked_line, checked_line_en
from bot.knowledge.search import KnowledgeIndex, content_words

MAX_PARTS = 3
# a further part outside the classifier's topic: the topic that knows it must know this much
OTHER_TOPIC_BAR = 0.5
OTHER_TOPIC_MARGIN = 0.3
# what makes a clause a question of its own
_ASKS = re.compile(
    r"多少|几|哪|什么|啥|吗|呢|么|怎么|咋|如何|是否|有没有|能不能|可不可以|谁|好多|好久|多久|多长|"
    r"[?？]"
)
# words that ask how without saying about what: not a question of their own
_ONLY_ASKING = frozenset({"怎么办", "咋办", "怎么弄", "怎么搞", "咋个", "办", "弄", "搞"})
_SENTENCE_END = re.compile(r"(?<=[？?！!。；;\n])")
_CLAUSE = re.compile(r"[，,]\s*|\s+")


def split_parts(text: str) -> list[str]:
    """Return the questions a message asks, in order (the whole message if it asks one)."""
    parts: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        clauses = [c for c in _CLAUSE.split(sentence) if c.strip()]
        current = ""
        for clause in clauses:
            # a clause is a new question only if it and what came before both ask
            if current and _ASKS.search(current) and _ASKS.search(clause):
                parts.append(current)
                current = clause
            else:
                current = f"{current}，{clause}" if current else clause
        if current:
            parts.append(current)
    parts = [p.strip("，,。；; ") for p in parts if set(content_words(p)) - _ONLY_ASKING]
    if len(parts) <= 1 or len(parts) > MAX_PARTS:
        return [text]
    return parts


def choose_entries(
    index: KnowledgeIndex,
    vocabulary: TopicVocabulary,
    text: str,
    topic: str | None = None,
) -> list[Entry]:
    """Return the entries that answer the message, one per part, each above the bar."""
    chosen: list[Entry] = []
    parts = split_parts(text)
    for part in parts:
        entry = _entry_for(index, vocabulary, part, topic, several=len(parts) > 1)
        if entry is None and len(parts) > 1:
            # the classifier read the whole message: another part may be another topic's
            entry = _entry_in_best_topic(index, vocabulary, part, topic)
        if entry is not None and entry not in chosen:
            chosen.append(entry)
    return chosen


def _entry_in_best_topic(
    index: KnowledgeIndex, vocabulary: TopicVocabulary, part: str, topic: str | None
) -> Entry | None:
    others = sorted({e.topic for e in index.entries} - {topic or ""})
    best, coverage = vocabulary.best_topic(part, others)
    if best is None or coverage < OTHER_TOPIC_BAR or not vocabulary.knows(part, best):
        return None
    hits = index.search(part, limit=1, topic=best)
    return hits[0].entry if hits else None


def _entry_for(
    index: KnowledgeIndex,
    vocabulary: TopicVocabulary,
    part: str,
    topic: str | None,
    several: bool = False,
) -> Entry | None:
    if topic is not None:
        in_topic = index.search(part, limit=1, topic=topic)
        if several and in_topic and not in_topic[0].confident:
            # one part of several may be another topic's: an entry elsewhere that
            # covers it clearly better wins over the classifier's topic
            anywhere = index.search(part, limit=1)
            if (
                anywhere
                and anywhere[0].confident
                and anywhere[0].coverage >= (in_topic[0].coverage + OTHER_TOPIC_MARGIN)
            ):
                return anywhere[0].entry
        if in_topic and (in_topic[0].confident or vocabulary.knows(part, topic)):
            return in_topic[0].entry
        if not in_topic and vocabulary.knows(part, topic):
            if several:
                # the classifier may have read another part's topic: an entry
                # elsewhere that clearly answers this part wins over the overview
                anywhere = index.search(part, limit=1)
                if anywhere and anywhere[0].confident:
                    return anywhere[0].entry
            # the topic knows the words, no entry shares one: its overview
            overview = [e for e in index.entries if e.topic == topic]
            return overview[0] if overview else None
    anywhere = index.search(part, limit=1)
    if anywhere and anywhere[0].confident:
        return anywhere[0].entry
    return None


def compose_reply(entries: Sequence[Entry]) -> str:
    """Say each entry's answer, then one line with the oldest check date and the source(s)."""
    cites = list(dict.fromkeys(entry.cite() for entry in entries))
    answers = "\n".join(entry.answer for entry in entries)
    return f"{answers}\n{checked_line(list(entries))}{'；'.join(cites)}"


def compose_reply_en(entries: Sequence[Entry]) -> str:
    """Say each English answer, then one line with the check date and the source(s)."""
    cites = list(dict.fromkeys(entry.source.cite_en() for entry in entries))
    answers = "\n".join(entry.answer_en for entry in entries)
    return f"{answers}\n{checked_line_en(list(entries))}{'; '.join(cites)}"
