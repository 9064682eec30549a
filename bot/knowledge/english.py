"""English questions from foreign experts (外籍人才): tell them apart, find the entry.

The knowledge base keeps one English answer per entry (`answer_en`, with its
own question forms `questions_en`). An English question is searched over those
with the same rule as the Chinese search: BM25 to rank, the IDF-weighted share
of the question's content words that the entry knows as the confidence.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.knowledge.model import Entry

CONFIDENT_COVERAGE = 0.5
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# explicit wishes to have something done: requests stay in Chinese for now
REQUEST_WISH = re.compile(
    r"\b(apply|applying|application|book|booking|appointment|register|sign me up|"
    r"cancel|status of my|track my|submit)\b",
    re.IGNORECASE,
)
STOPWORDS = frozenset(
    """a an the is are was were be been being am do does did doing have has had having i me my
    we our us you your he she it its they them their this that these those there here what which
    who whom whose when where why how can could should would will shall may might must of in on
    at to for from by with about as into than then so and or but if not no yes any some all
    much many more most very just also too please tell know want like get got need give there's
    it's what's how's i'm i'd there chongqing s t ok hello hi foreign foreigner foreigners
    expert experts scientist scientists researcher researchers go going now new currently
    anyone someone something thing things question questions ask asking""".split()
)


def is_english(text: str) -> bool:
    """Tell an English message from a Chinese one (a few Latin words in Chinese stay Chinese)."""
    words = _LATIN_WORD.findall(text)
    latin = sum(len(w) for w in words)
    cjk = len(_CJK.findall(text))
    return len(words) >= 2 and latin >= 6 and cjk * 4 <= latin


def stem(word: str) -> str:
    """Reduce an English word to a crude stem, so housing ~ house and loans ~ loan."""
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def english_words(text: str) -> list[str]:
    """Return the stemmed content words of an English text (digits kept as words)."""
    words = [w.lower() for w in re.findall(r"[A-Za-z]+|\d+", text)]
    return [stem(w) for w in words if w not in STOPWORDS and len(w) > 1]


@dataclass(frozen=True)
class EnglishHit:
    """An entry found for an English question, its rank score and its coverage."""

    entry: Entry
    score: float
    coverage: float

    @property
    def confident(self) -> bool:
        """Tell whether the entry covers enough of the question to answer with it."""
        return self.coverage >= CONFIDENT_COVERAGE


class EnglishIndex:
    """A small BM25 index over the English question forms, keywords and answers."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = [e for e in entries if e.answer_en]
        self._docs: list[tuple[int, float, Counter[str]]] = []
        self._vocab: list[set[str]] = []
        for number, entry in enumerate(self.entries):
            vocab: set[str] = set()
            texts = [(q, 1.0) for q in (*entry.questions_en, " ".join(entry.keywords_en))]
            for text, weight in [*texts, (entry.answer_en, 0.5)]:
                words = english_words(text)
                if words:
                    self._docs.append((number, weight, Counter(words)))
                    vocab.update(words)
            self._vocab.append(vocab)
        frequency: Counter[str] = Counter()
        for _, _, doc in self._docs:
            frequency.update(doc.keys())
        total = len(self._docs)
        self._idf = {t: math.log(1 + (total - n + 0.5) / (n + 0.5)) for t, n in frequency.items()}
        self._unknown_idf = math.log(1 + (total + 0.5) / 0.5)
        lengths = [sum(doc.values()) for _, _, doc in self._docs]
        self._average = sum(lengths) / max(len(lengths), 1)

    def search(self, text: str, limit: int = 3) -> list[EnglishHit]:
        """Return the best entries for an English question, best first."""
        words = english_words(text)
        if not words:
            return []
        best: dict[int, float] = {}
        for number, weight, doc in self._docs:
            length = sum(doc.values())
            score = 0.0
            for word in words:
                count = doc.get(word, 0)
                if count:
                    norm = 1.2 * (0.25 + 0.75 * length / self._average)
                    score += self._idf[word] * count * 2.2 / (count + norm)
            if weight * score > best.get(number, 0.0):
                best[number] = weight * score
        hits = []
        for number, score in best.items():
            vocab = self._vocab[number]
            total = sum(self._idf.get(w, self._unknown_idf) for w in words)
            covered = sum(self._idf.get(w, self._unknown_idf) for w in words if w in vocab)
            coverage = covered / total if total else 0.0
            ranked = score * (0.5 + coverage)
            hits.append(EnglishHit(self.entries[number], round(ranked, 3), round(coverage, 3)))
        return sorted(hits, key=lambda hit: hit.score, reverse=True)[:limit]
