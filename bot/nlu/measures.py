"""What `make eval` measures beyond topic accuracy, on any parser (a model, or a stub in tests).

- **Off-topic false-accept rate**: the share of held-out off-topic questions
  (tests/nlu/offtopic_heldout.yml) that would be answered with a policy entry
  or open a request: the classifier put them in a policy or request topic and,
  for a policy topic, an entry cleared the coverage bar.
- **Two-part score**: the share of two-part questions (tests/nlu/two_part.yml)
  whose reply states every fact asked for.
- **Per-topic accuracy** on a held-out set (the message-board register).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.knowledge import POLICY_TOPICS, KnowledgeBase
from bot.knowledge.answering import choose_entries, compose_reply
from bot.knowledge.coverage import POLICY_OF, TopicVocabulary
from bot.knowledge.topics import topic_of

# intent of a message, as the assistant's NLU would parse it
Parser = Callable[[str], str]
REQUEST_TOPICS = frozenset(POLICY_OF)


@dataclass
class OffTopic:
    """How the held-out off-topic questions fared."""

    total: int = 0
    routed: list[str] = field(default_factory=list)  # put in a policy or request topic
    answered: list[str] = field(default_factory=list)  # and would get a policy answer or a form

    @property
    def routed_rate(self) -> float:
        """Share put in a policy or request topic by the classifier."""
        return len(self.routed) / self.total if self.total else 0.0

    @property
    def false_accept_rate(self) -> float:
        """Share that would be answered with policy (or open a form)."""
        return len(self.answered) / self.total if self.total else 0.0


def off_topic(
    parse: Parser, texts: Sequence[str], kb: KnowledgeBase, vocabulary: TopicVocabulary
) -> OffTopic:
    """Count the off-topic questions the assistant would answer with a policy entry."""
    result = OffTopic(total=len(texts))
    for text in texts:
        topic = topic_of(parse(text))
        if topic in REQUEST_TOPICS:
            result.routed.append(text)
            result.answered.append(text)
        elif topic in POLICY_TOPICS:
            result.routed.append(text)
            if choose_entries(kb, vocabulary, text, topic):
                result.answered.append(text)
    return result


@dataclass(frozen=True)
class TwoPartCase:
    """A question that asks two things, and the facts its answer must state."""

    text: str
    facts: tuple[str, ...]


def load_two_part(path: Path) -> list[TwoPartCase]:
    """Read the two-part cases file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [TwoPartCase(str(c["text"]), tuple(map(str, c["facts"]))) for c in data["cases"]]


def two_part(
    parse: Parser, cases: Sequence[TwoPartCase], kb: KnowledgeBase, vocabulary: TopicVocabulary
) -> tuple[float, list[str]]:
    """Return the share of cases whose reply states every fact, and the texts that missed."""
    missed = []
    for case in cases:
        topic = topic_of(parse(case.text))
        topic = POLICY_OF.get(str(topic), topic)
        policy_topic = topic if topic in POLICY_TOPICS else None
        entries = choose_entries(kb, vocabulary, case.text, policy_topic)
        reply = compose_reply(entries) if entries else ""
        if not all(fact in reply for fact in case.facts):
            missed.append(case.text)
    return (1 - len(missed) / len(cases) if cases else 0.0), missed


def per_topic_accuracy(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Return topic → share of its examples predicted as that topic."""
    hits: dict[str, list[bool]] = defaultdict(list)
    for g, p in zip(gold, predicted, strict=True):
        hits[g].append(g == p)
    return {t: sum(h) / len(h) for t, h in sorted(hits.items())}
