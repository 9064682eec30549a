"""Chongqing districts from bot/reference_data, and finding one mentioned in free text.

Pure standard library; the CSV is read on first use, never at import time.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["District", "load_districts", "match_district", "match_districts"]

_DEFAULT_CSV = Path(__file__).resolve().parent.parent / "reference_data" / "districts.csv"
_COLUMNS = ("code", "name", "kind", "aliases")
_STRIPPABLE_KINDS = frozenset({"district", "county"})
# Place names that contain a district term but lie elsewhere: 两路口 is in 渝中区 (not 两路,
# 渝北区) and 江北国际机场 is in 渝北区. They are blanked so they match nothing.
_FALSE_FRIENDS = ("江北国际机场", "江北机场", "两路口")


@dataclass(frozen=True)
class District:
    """A district, county or new area of Chongqing as the backend names it."""

    code: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()


def _clean(text: str) -> str:
    return "".join(text.split()).replace("（", "(").replace("）", ")")


def load_districts(path: str | os.PathLike[str] | None = None) -> tuple[District, ...]:
    """Read the district list once per file; the default file is found next to the package."""
    return _load(Path(path).resolve() if path is not None else _DEFAULT_CSV)


@lru_cache(maxsize=8)
def _load(path: Path) -> tuple[District, ...]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != _COLUMNS:
            raise ValueError(f"{path}: expected columns {_COLUMNS}, got {reader.fieldnames}")
        districts = tuple(
            District(
                code=row["code"].strip(),
                name=row["name"].strip(),
                kind=row["kind"].strip(),
                aliases=tuple(a.strip() for a in (row["aliases"] or "").split("|") if a.strip()),
            )
            for row in reader
        )
    if not districts or any(not d.code or not d.name for d in districts):
        raise ValueError(f"{path}: every row needs a code and a name")
    return districts


def _terms_of(district: District) -> set[str]:
    terms = {district.name, *district.aliases}
    if district.kind in _STRIPPABLE_KINDS and district.name[-1] in "区县":
        stem = district.name[:-1]
        if len(stem) >= 2:  # 忠县 → 忠 would match far too much
            terms.add(stem)
    return {_clean(term) for term in terms}


@lru_cache(maxsize=1)
def _term_index() -> tuple[tuple[str, District], ...]:
    return tuple((term, d) for d in load_districts() for term in sorted(_terms_of(d)))


def _mentions(text: str) -> list[tuple[int, int, District]]:
    cleaned = _clean(text)
    for phrase in _FALSE_FRIENDS:
        cleaned = cleaned.replace(phrase, "\0" * len(phrase))
    found: list[tuple[int, int, District]] = []
    for term, district in _term_index():
        start = cleaned.find(term)
        while start != -1:
            found.append((start, start + len(term), district))
            start = cleaned.find(term, start + 1)
    found.sort(key=lambda m: (m[0] - m[1], m[0]))  # longest first, then leftmost
    kept: list[tuple[int, int, District]] = []
    for start, end, district in found:
        if all(end <= k_start or start >= k_end for k_start, k_end, _ in kept):
            kept.append((start, end, district))
    return kept


def match_districts(text: str) -> tuple[District, ...]:
    """List every distinct district mentioned in `text`, in reading order."""
    ordered = sorted(_mentions(text), key=lambda m: m[0])
    return tuple(dict.fromkeys(district for _, _, district in ordered))


def match_district(text: str) -> District | None:
    """Find the district a user means; the longest mention wins, then the leftmost."""
    mentions = _mentions(text)
    return mentions[0][2] if mentions else None
