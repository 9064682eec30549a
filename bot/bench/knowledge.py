"""M7: the knowledge search in-process, over every held-out NLU question."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import yaml

from bot.bench.stats import percentile
from bot.knowledge import load_knowledge_base
from bot.launcher import ROOT

HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def heldout_questions(path: Path = HELDOUT) -> list[str]:
    """Return the held-out examples as users typed them (entity annotations removed)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    questions = []
    for block in data.get("nlu", []):
        for line in str(block.get("examples", "")).splitlines():
            text = line.strip().removeprefix("- ").strip()
            if text:
                questions.append(_ANNOTATION.sub(r"\1", text))
    return questions


def search_time(*, passes: int, seconds: float) -> dict[str, Any]:
    """Time ``search`` per question: one warm-up pass, then up to ``passes`` or ``seconds``."""
    kb = load_knowledge_base()
    questions = heldout_questions()
    for question in questions:  # warm-up: Jieba's dictionary, caches
        kb.search(question)
    timings: list[float] = []
    deadline = time.monotonic() + seconds
    for _ in range(passes):
        for question in questions:
            started = time.perf_counter()
            kb.search(question)
            timings.append((time.perf_counter() - started) * 1e6)
        if time.monotonic() > deadline:
            break
    return {
        "questions": len(questions),
        "queries": len(timings),
        "us_per_query": percentile(timings, 0.5),
        "mean_us": sum(timings) / len(timings),
        "p99_us": percentile(timings, 0.99),
    }
