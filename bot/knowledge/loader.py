"""Load the knowledge files and refuse any entry that is incomplete or unsourced."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal, overload

import yaml

from bot.knowledge.model import POLICY_TOPICS, REQUEST_KINDS, Entry, KnowledgeError, Source

KNOWLEDGE_DIR = Path(__file__).parent
SOURCES_FILE = KNOWLEDGE_DIR / "sources.yml"
ENTRIES_DIR = KNOWLEDGE_DIR / "entries"
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
MIN_QUESTIONS = 3
MAX_ANSWER_CHARS = 400
MAX_ANSWER_EN_CHARS = 900
MIN_QUESTIONS_EN = 2
_CJK_SPACE = re.compile(
    r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])|(?<=[，。、：；“”（）]) | (?=[，。、：；“”（）])"
)
REQUIRED = ("id", "title", "questions", "answer", "source", "checked")


def load_sources(path: Path = SOURCES_FILE) -> dict[str, Source]:
    """Read the sources file: every source needs a title, kind and issuer."""
    data = _read_yaml(path).get("sources")
    if not isinstance(data, dict) or not data:
        raise KnowledgeError(f"{path.name}: no sources")
    sources = {}
    for key, item in data.items():
        where = f"{path.name}: source {key}"
        if not isinstance(item, dict):
            raise KnowledgeError(f"{where}: not a mapping")
        for name in ("title", "kind", "issuer"):
            if not str(item.get(name) or "").strip():
                raise KnowledgeError(f"{where}: missing {name}")
        published = _date(item.get("published"), where, "published", optional=True)
        if published is None and not str(item.get("published_note") or "").strip():
            raise KnowledgeError(f"{where}: no published date and no note saying why")
        sources[key] = Source(
            key=key,
            title=str(item["title"]).strip(),
            kind=str(item["kind"]).strip(),
            issuer=str(item["issuer"]).strip(),
            published=published,
            published_note=str(item.get("published_note") or "").strip(),
            title_en=str(item.get("title_en") or "").strip(),
            issuer_en=str(item.get("issuer_en") or "").strip(),
        )
    return sources


def load_entries(
    entries_dir: Path = ENTRIES_DIR, sources: dict[str, Source] | None = None
) -> list[Entry]:
    """Read every entries file (one per topic) and validate each entry."""
    sources = load_sources() if sources is None else sources
    files = sorted(entries_dir.glob("*.yml"))
    if not files:
        raise KnowledgeError(f"{entries_dir}: no entry files")
    entries: list[Entry] = []
    seen: set[str] = set()
    for path in files:
        data = _read_yaml(path)
        topic = data.get("topic")
        if topic not in POLICY_TOPICS:
            raise KnowledgeError(f"{path.name}: unknown topic {topic!r}")
        items = data.get("entries")
        if not isinstance(items, list) or not items:
            raise KnowledgeError(f"{path.name}: no entries")
        for item in items:
            entry = _entry(item, topic, sources, path.name)
            if entry.id in seen:
                raise KnowledgeError(f"{path.name}: duplicate id {entry.id}")
            seen.add(entry.id)
            entries.append(entry)
    return entries


def _entry(item: Any, topic: str, sources: dict[str, Source], file_name: str) -> Entry:
    if not isinstance(item, dict):
        raise KnowledgeError(f"{file_name}: an entry is not a mapping")
    where = f"{file_name}: entry {item.get('id', '?')}"
    for name in REQUIRED:
        if item.get(name) in (None, "", []):
            raise KnowledgeError(f"{where}: missing {name}")
    if not ID_PATTERN.match(str(item["id"])):
        raise KnowledgeError(f"{where}: id must be snake_case ASCII")
    questions = _strings(item["questions"], where, "questions")
    if len(questions) < MIN_QUESTIONS:
        raise KnowledgeError(f"{where}: needs at least {MIN_QUESTIONS} question forms")
    # YAML folds the answer's lines with spaces: keep them only beside Latin letters and digits
    answer = _CJK_SPACE.sub("", " ".join(str(item["answer"]).split()))
    if len(answer) > MAX_ANSWER_CHARS:
        raise KnowledgeError(f"{where}: answer longer than {MAX_ANSWER_CHARS} characters")
    source = sources.get(str(item["source"]))
    if source is None:
        raise KnowledgeError(f"{where}: unknown source {item['source']!r}")
    checked = _date(item["checked"], where, "checked")
    if checked > dt.date.today():
        raise KnowledgeError(f"{where}: checked date {checked} is in the future")
    offer = item.get("offer")
    if offer is not None and offer not in REQUEST_KINDS:
        raise KnowledgeError(f"{where}: offer must be one of {', '.join(REQUEST_KINDS)}")
    answer_en, questions_en = _english(item, where)
    return Entry(
        id=str(item["id"]),
        topic=topic,
        title=str(item["title"]).strip(),
        questions=questions,
        answer=answer,
        source=source,
        checked=checked,
        effective=_date(item.get("effective"), where, "effective", optional=True),
        keywords=_strings(item.get("keywords") or [], where, "keywords"),
        offer=offer,
        documents=_strings(item.get("documents") or [], where, "documents"),
        answer_en=answer_en,
        questions_en=questions_en,
        keywords_en=_strings(item.get("keywords_en") or [], where, "keywords_en"),
    )


def _english(item: dict[str, Any], where: str) -> tuple[str, tuple[str, ...]]:
    """Read the English answer and its question forms: both or neither."""
    answer = " ".join(str(item.get("answer_en") or "").split())
    questions = _strings(item.get("questions_en") or [], where, "questions_en")
    if not answer and not questions:
        return "", ()
    if not answer:
        raise KnowledgeError(f"{where}: questions_en without answer_en")
    if len(questions) < MIN_QUESTIONS_EN:
        raise KnowledgeError(f"{where}: answer_en needs at least {MIN_QUESTIONS_EN} questions_en")
    if len(answer) > MAX_ANSWER_EN_CHARS:
        raise KnowledgeError(f"{where}: answer_en longer than {MAX_ANSWER_EN_CHARS} characters")
    if re.search(r"[\u4e00-\u9fff]", re.sub(r"[《“\"(（][^》”\")）]*[》”\")）]", "", answer)):
        raise KnowledgeError(f"{where}: answer_en has Chinese outside quoted names")
    return answer, questions


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise KnowledgeError(f"{path.name}: cannot read: {error}") from error
    if not isinstance(data, dict):
        raise KnowledgeError(f"{path.name}: not a mapping")
    return data


def _strings(value: Any, where: str, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise KnowledgeError(f"{where}: {name} must be a list of non-empty texts")
    return tuple(v.strip() for v in value)


@overload
def _date(value: Any, where: str, name: str, optional: Literal[False] = False) -> dt.date: ...


@overload
def _date(value: Any, where: str, name: str, optional: bool) -> dt.date | None: ...


def _date(value: Any, where: str, name: str, optional: bool = False) -> dt.date | None:
    """Read a YAML date; only an optional one may be missing."""
    if value is None and optional:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as error:
        raise KnowledgeError(f"{where}: {name} is not a date (YYYY-MM-DD)") from error
