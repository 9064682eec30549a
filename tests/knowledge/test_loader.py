"""The knowledge files load, cover every policy topic, and a broken entry is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.knowledge import POLICY_TOPICS, KnowledgeError, load_knowledge_base
from bot.knowledge.loader import ENTRIES_DIR, load_entries, load_sources

ROOT = Path(__file__).resolve().parents[2]
# the article the answers are written from; present in the team workspace
SEED = ROOT.parent / "shared" / "seeds" / "000_40247dc09b6de445.txt"

GOOD_ENTRY = {
    "id": "sample_entry",
    "title": "示例",
    "questions": ["问题一", "问题二", "问题三"],
    "answer": "回答。",
    "source": "cqdaily_sci_tech_action",
    "checked": "2026-01-01",
}


def write_entries(folder: Path, topic: str, entries: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"topic": topic, "entries": entries}
    (folder / f"{topic}.yml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return folder


def test_every_policy_topic_has_entries_with_sources():
    kb = load_knowledge_base()
    assert {entry.topic for entry in kb.entries} == set(POLICY_TOPICS)
    for entry in kb.entries:
        assert entry.cite() == "来源：重庆日报《让科技工作者既有获得感又有使命感》"
        assert entry.reply().endswith(entry.cite())


@pytest.mark.skipif(not SEED.exists(), reason=f"source article not found at {SEED}")
def test_every_number_in_an_answer_is_in_the_source():
    """Never invent a number: each figure an answer states appears in the article."""
    article = re.sub(r"\s+", "", SEED.read_text(encoding="utf-8"))
    for entry in load_knowledge_base().entries:
        for number in re.findall(r"\d+(?:\.\d+)?", entry.answer):
            assert number in article, f"{entry.id}: {number} is not in the source"


def test_a_good_entry_loads(tmp_path):
    folder = write_entries(tmp_path, "staffing", [GOOD_ENTRY])
    [entry] = load_entries(folder)
    assert (entry.id, entry.topic, entry.offer) == ("sample_entry", "staffing", None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": None}, "missing source"),
        ({"source": "somebody_said"}, "unknown source"),
        ({"answer": ""}, "missing answer"),
        ({"questions": ["只有一个"]}, "at least 3"),
        ({"questions": "不是列表"}, "list of non-empty"),
        ({"checked": "上周"}, "not a date"),
        ({"checked": "2999-01-01"}, "in the future"),
        ({"offer": "taxi"}, "offer must be"),
        ({"id": "住房"}, "snake_case"),
        ({"answer": "很长" * 300}, "longer than"),
    ],
)
def test_a_broken_entry_is_refused(tmp_path, change, message):
    folder = write_entries(tmp_path, "staffing", [{**GOOD_ENTRY, **change}])
    with pytest.raises(KnowledgeError, match=message):
        load_entries(folder)


def test_an_unknown_topic_and_a_duplicate_id_are_refused(tmp_path):
    with pytest.raises(KnowledgeError, match="unknown topic"):
        load_entries(write_entries(tmp_path / "a", "weather", [GOOD_ENTRY]))
    with pytest.raises(KnowledgeError, match="duplicate id"):
        load_entries(write_entries(tmp_path / "b", "staffing", [GOOD_ENTRY, GOOD_ENTRY]))


def test_a_source_needs_a_date_or_a_note(tmp_path):
    path = tmp_path / "sources.yml"
    path.write_text("sources:\n  x: {title: 标题, kind: 报道, issuer: 某报}\n", "utf-8")
    with pytest.raises(KnowledgeError, match="no published date"):
        load_sources(path)
    dated = "sources:\n  x: {title: 标题, kind: 报道, issuer: 某报, published: 2022-06-01}\n"
    path.write_text(dated, "utf-8")
    assert load_sources(path)["x"].cite() == "来源：某报《标题》（2022年6月1日）"


def test_the_shipped_files_are_the_ones_validated():
    assert sorted(p.stem for p in ENTRIES_DIR.glob("*.yml")) == sorted(POLICY_TOPICS)
