"""How much of a question a topic knows: the bar every knowledge answer must clear.

An entry's own coverage (bot/knowledge/search.py) is strict: a question in its
topic often uses words the entry never does ("能不能续租"). A topic knows more:
the words of its entries and of the NLU examples of its intents (data/nlu).
`TopicVocabulary.coverage` is the IDF-weighted share of a question's content
words that the topic knows. A question the classifier put in a topic is only
answered from it when that share clears `TOPIC_BAR`; "蒸汽机是谁发明的",
whatever the classifier thought, knows no policy topic's words.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import yaml

from bot.knowledge.model import Entry
from bot.knowledge.search import _terms, content_words
from bot.knowledge.topics import intent_topics

NLU_DIR = Path(__file__).resolve().parents[2] / "data" / "nlu"
TOPIC_BAR = 0.3
SINGLE_CHAR_WEIGHT = 0.3
# the topic of the off-topic examples (data/nlu/out_of_scope.yml), and how much
# more of a question they may know before the policy topic's claim is refused
OUT_OF_SCOPE = "out_of_scope"
OFF_TOPIC_MARGIN = 0.2
# "X 是什么" asks about one term: the topic must know it, not a word beside it
DEFINITION_BAR = 0.6
_DEFINITION = re.compile(r"是什么|什么是|啥是|是啥|什么意思|啥意思|是干什么|是做什么|干嘛的")
# a request topic's words count for the policy topic that answers questions about it
POLICY_OF = {
    "housing_apply": "housing_policy",
    "school_apply": "school_policy",
    "hospital_book": "hospital_policy",
}
_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def nlu_examples(folder: Path = NLU_DIR) -> list[tuple[str, str]]:
    """Return (intent, text) of every NLU training example, annotations removed."""
    examples = []
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            intent = block.get("intent")
            if not intent:
                continue
            for line in str(block.get("examples") or "").splitlines():
                text = line.strip().removeprefix("- ").strip()
                if text and not text.startswith("#"):
                    examples.append((str(intent), _ANNOTATION.sub(r"\1\2", text)))
    return examples


class TopicVocabulary:
    """The words each policy topic knows, and how much of a question they cover."""

    def __init__(self, entries: Sequence[Entry], examples: Iterable[tuple[str, str]]) -> None:
        self._vocab: dict[str, set[str]] = defaultdict(set)
        frequency: Counter[str] = Counter()
        documents = 0
        topics = intent_topics()
        texts: list[tuple[str | None, str]] = []
        for entry in entries:
            texts += [(entry.topic, t) for t in (*entry.questions, entry.title, entry.answer)]
            texts.append((entry.topic, " ".join(entry.keywords)))
        for intent, text in examples:
            topic = topics.get(intent)
            texts.append((POLICY_OF.get(str(topic), topic), text))
        for topic, text in texts:
            terms = set(_terms(content_words(text)))
            if topic is not None:
                self._vocab[topic] |= terms
            frequency.update(terms)
            documents += 1
        self._idf = {
            t: math.log(1 + (documents - n + 0.5) / (n + 0.5)) for t, n in frequency.items()
        }
        self._unknown_idf = math.log(1 + (documents + 0.5) / 0.5)

    def coverage(self, text: str, topic: str, pairs: bool = True) -> float:
        """Return the IDF-weighted share of the question's words that the topic knows.

        With ``pairs``, a longer word the topic does not know is covered in part by
        the character pairs inside it that it does (人才服务港 → 服务).
        """
        vocab = self._vocab.get(topic, set())
        total = covered = 0.0
        for word in content_words(text):
            # a lone character (靠, 收) is more often a cut-off word than a topic
            weight = self._idf.get(word, self._unknown_idf)
            weight *= SINGLE_CHAR_WEIGHT if len(word) == 1 else 1.0
            total += weight
            if word in vocab:
                covered += weight
            elif pairs and len(word) >= 3:
                inside = [word[i : i + 2] for i in range(len(word) - 1)]
                covered += weight * sum(p in vocab for p in inside) / len(inside)
        return covered / total if total else 0.0

    def knows(self, text: str, topic: str) -> bool:
        """Tell whether the topic knows enough of the question to answer from it.

        Enough: the bar (higher for "X 是什么", which asks about one term), and
        not clearly less than the out-of-scope examples know ("蒸汽机是谁发明的"
        shares 发明 with 职务发明, but reads as general knowledge).
        """
        known = self.coverage(text, topic)
        bar = DEFINITION_BAR if _DEFINITION.search(text) else TOPIC_BAR
        off_topic = self.coverage(text, OUT_OF_SCOPE, pairs=False)
        return known >= bar and off_topic <= known + OFF_TOPIC_MARGIN

    def best_topic(self, text: str, topics: Iterable[str]) -> tuple[str | None, float]:
        """Return the topic that knows most of the question, and how much."""
        scored = [(self.coverage(text, topic), topic) for topic in topics]
        if not scored:
            return None, 0.0
        coverage, topic = max(scored)
        return topic, coverage


@lru_cache(maxsize=1)
def topic_vocabulary() -> TopicVocabulary:
    """Build the topics' vocabulary once per process (the knowledge base and data/nlu)."""
    from bot.knowledge import load_knowledge_base

    return TopicVocabulary(load_knowledge_base().entries, nlu_examples())
