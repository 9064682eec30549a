"""Bring what users type to the words the model and the knowledge base know.

Full-width to half-width, traditional to simplified characters, then
Chongqing dialect, colloquial words and common typos from `colloquial.yml`
(啷个→怎么, 娃儿→孩子, 公基金→公积金), longest match first. The NLU pipeline
(`bot.nlu.input_guard.TextNormalizer`) and the knowledge-base search share it,
so a question reads the same to both.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from opencc import OpenCC

from bot.common.text import to_half_width

COLLOQUIAL_FILE = Path(__file__).with_name("colloquial.yml")


@lru_cache(maxsize=1)
def _converter() -> OpenCC:
    return OpenCC("t2s")


# what may stand around a whole-message word: spaces and punctuation
_AROUND = re.compile(r"^[\s\W_]*(?P<word>.*?)[\s\W_]*$")


def _load_section(section: str) -> dict[str, str]:
    data = yaml.safe_load(COLLOQUIAL_FILE.read_text(encoding="utf-8")) or {}
    table: dict[str, str] = {}
    for source, target in (data.get(section) or {}).items():
        source, target = str(source), str(target)
        if not source or not target or source == target:
            raise ValueError(f"{COLLOQUIAL_FILE.name}: bad pair {source!r} -> {target!r}")
        table[source] = target
    return table


@lru_cache(maxsize=1)
def replacements() -> dict[str, str]:
    """Return the words replaced wherever they occur (dialect and typos)."""
    return {**_load_section("dialect"), **_load_section("typos")}


@lru_cache(maxsize=1)
def whole_replies() -> dict[str, str]:
    """Return the words replaced only when they are the whole message (要得 → 好的)."""
    return _load_section("whole_message")


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    words = sorted(replacements(), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)))


def to_simplified(text: str) -> str:
    """Convert traditional Chinese characters to simplified ones."""
    return _converter().convert(text)


def normalise(text: str) -> str:
    """Return the text in the words the assistant was trained on."""
    return normalise_with_offsets(text)[0]


def normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    """Normalise, and map every old character offset (0..len) to its new offset.

    Width folding and character conversion keep the length; a replaced word
    may not (老汉儿 → 父亲), so annotated entity spans must be moved with it.
    """
    text = to_simplified(to_half_width(text))
    match = _AROUND.match(text)
    if match and match.group("word") in whole_replies():
        new_text = whole_replies()[match.group("word")]
        return new_text, [0] * len(text) + [len(new_text)]
    table = replacements()
    pieces: list[str] = []
    offsets: list[int] = []
    position = 0
    new_length = 0
    for found in _pattern().finditer(text):
        kept = text[position : found.start()]
        offsets.extend(range(new_length, new_length + len(kept)))
        pieces.append(kept)
        new_length += len(kept)
        offsets.extend([new_length] * (found.end() - found.start()))
        pieces.append(table[found.group(0)])
        new_length += len(pieces[-1])
        position = found.end()
    rest = text[position:]
    offsets.extend(range(new_length, new_length + len(rest) + 1))
    pieces.append(rest)
    return "".join(pieces), offsets
