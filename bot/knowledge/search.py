"""Find the knowledge entry that answers a question: Jieba words, BM25, a confidence bar.

Ranking is BM25 (k1=1.2, b=0.75) over each entry's question forms, title,
keywords and answer. Confidence is separate from rank: the IDF-weighted share
of the question's content words that the entry covers, so "今天天气怎么样",
whose key word no entry knows, stays below the bar however the ranks fall.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba

from bot.common.normalise import normalise
from bot.knowledge.model import Entry

JIEBA_DICT_DIR = Path(__file__).resolve().parents[1] / "nlu" / "jieba_dict"
CONFIDENT_COVERAGE = 0.5
K1 = 1.2
B = 0.75
# the answer text speaks about more than the question forms do: it counts less
ANSWER_WEIGHT = 0.5
STOPWORDS_FILE = Path(__file__).with_name("stopwords.txt")
_CHINESE_OR_WORD = re.compile(r"[\u4e00-\u9fff]|[A-Za-z0-9]")


@dataclass(frozen=True)
class SearchHit:
    """An entry found for a question, its BM25 rank score and its coverage."""

    entry: Entry
    score: float
    coverage: float

    @property
    def confident(self) -> bool:
        """Tell whether the entry covers enough of the question to answer with it."""
        return self.coverage >= CONFIDENT_COVERAGE


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Return the words that say nothing about which policy a question is about."""
    lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for path in sorted(JIEBA_DICT_DIR.glob("*.txt")):
        tokenizer.load_userdict(str(path))
    return tokenizer


def content_words(text: str) -> list[str]:
    """Return the normalised words of a text that carry meaning (no stopwords, no punctuation)."""
    words = _tokenizer().lcut(normalise(text).lower())
    skip = stopwords()
    return [w for w in map(str.strip, words) if w not in skip and _CHINESE_OR_WORD.search(w)]


def _terms(words: Iterable[str]) -> list[str]:
    """Words, plus the character pairs inside longer words (公租房 → 公租, 租房)."""
    terms = []
    for word in words:
        terms.append(word)
        if len(word) >= 3:
            terms.extend(word[i : i + 2] for i in range(len(word) - 1))
    return terms


class KnowledgeIndex:
    """A BM25 index over the entries of the knowledge base."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = list(entries)
        # one document per question form, title and keywords; one for the answer
        self._docs: list[tuple[int, float, Counter[str]]] = []
        self._vocab: list[set[str]] = []
        for number, entry in enumerate(self.entries):
            texts = [*entry.questions, entry.title, " ".join(entry.keywords)]
            vocab: set[str] = set()
            for text in texts:
                terms = _terms(content_words(text))
                if terms:
                    self._docs.append((number, 1.0, Counter(terms)))
                    vocab.update(terms)
            answer_terms = _terms(content_words(entry.answer))
            self._docs.append((number, ANSWER_WEIGHT, Counter(answer_terms)))
            vocab.update(answer_terms)
            self._vocab.append(vocab)
        lengths = [sum(doc.values()) for _, _, doc in self._docs]
        self._average_length = sum(lengths) / max(len(lengths), 1)
        frequency: Counter[str] = Counter()
        for _, _, doc in self._docs:
            frequency.update(doc.keys())
        total = len(self._docs)
        self._idf = {t: math.log(1 + (total - n + 0.5) / (n + 0.5)) for t, n in frequency.items()}
        # a word no entry knows weighs as much as the rarest known one
        self._unknown_idf = math.log(1 + (total + 0.5) / 0.5)

    def search(self, text: str, limit: int = 3, topic: str | None = None) -> list[SearchHit]:
        """Return the best entries for a question, best first (optionally within one topic)."""
        words = content_words(text)
        terms = _terms(words)
        if not words:
            return []
        best: dict[int, float] = {}
        for number, weight, doc in self._docs:
            if topic is not None and self.entries[number].topic != topic:
                continue
            score = weight * self._bm25(terms, doc)
            if score > best.get(number, 0.0):
                best[number] = score
        ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)[:limit]
        return [
            SearchHit(self.entries[n], round(score, 3), round(self._coverage(words, n), 3))
            for n, score in ranked
        ]

    def _bm25(self, terms: list[str], doc: Counter[str]) -> float:
        length = sum(doc.values())
        score = 0.0
        for term in terms:
            count = doc.get(term, 0)
            if count:
                norm = K1 * (1 - B + B * length / self._average_length)
                score += self._idf[term] * count * (K1 + 1) / (count + norm)
        return score

    def _coverage(self, words: list[str], number: int) -> float:
        vocab = self._vocab[number]
        total = covered = 0.0
        for word in words:
            weight = self._idf.get(word, self._unknown_idf)
            total += weight
            if word in vocab:
                covered += weight
            elif len(word) >= 2:
                pairs = [word[i : i + 2] for i in range(len(word) - 1)]
                covered += weight * sum(p in vocab for p in pairs) / len(pairs)
        return covered / total if total else 0.0
