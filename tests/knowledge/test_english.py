"""English for foreign experts: detected, answered from the English answers, never invented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.knowledge import KnowledgeError, load_knowledge_base
from bot.knowledge.answering import compose_reply_en
from bot.knowledge.english import is_english, stem
from bot.knowledge.loader import load_entries

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seeds" / "000_40247dc09b6de445.txt"
GOOD = {
    "id": "sample_entry",
    "title": "示例",
    "questions": ["问题一", "问题二", "问题三"],
    "answer": "回答。",
    "source": "cqdaily_sci_tech_action",
    "checked": "2026-01-01",
}
_SCALE = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}


def chinese_forms(number: str, scale: str | None) -> set[str]:
    """The ways a number of the English answer may be written in the Chinese source."""
    value = float(number.replace(",", "")) * _SCALE.get(scale or "", 1)
    forms = {number.replace(",", "")}
    for unit, name in ((100_000_000, "亿"), (10_000, "万")):
        if value >= unit:
            forms.add(f"{value / unit:g}{name}")
    return forms


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("How many talent apartments are there?", True),
        ("what is the golden phoenix talent code", True),
        ("please help me 办理落户", False),
        ("gjj能多贷好多", False),
        ("人才住房有多少套", False),
        ("ok", False),
        ("HS20261127-0001", False),
    ],
)
def test_an_english_question_is_told_from_a_chinese_one(text, english):
    assert is_english(text) is english


def test_stems_fold_plurals_and_gerunds():
    assert [stem(w) for w in ("hospitals", "housing", "loans", "policies", "class")] == [
        "hospital",
        "hous",
        "loan",
        "policy",
        "class",
    ]


def test_every_entry_has_an_english_answer_with_its_source():
    for entry in load_knowledge_base().entries:
        assert entry.answer_en and len(entry.questions_en) >= 2, entry.id
        assert entry.reply_en().endswith(entry.source.cite_en())
        assert "Chongqing Daily" in entry.reply_en()


@pytest.mark.skipif(not SEED.exists(), reason=f"source article not found at {SEED}")
def test_every_number_in_an_english_answer_is_in_the_source():
    """The same check as the Chinese answers, reading 22 billion as 220亿 and 60,000 as 6万."""
    article = re.sub(r"\s+", "", SEED.read_text(encoding="utf-8"))
    pattern = r"(\d[\d,]*(?:\.\d+)?)(?:\s+(thousand|million|billion))?"
    for entry in load_knowledge_base().entries:
        for number, scale in re.findall(pattern, entry.answer_en):
            number = number.rstrip(",")
            forms = chinese_forms(number, scale)
            assert any(form in article for form in forms), f"{entry.id}: {number} {scale}"


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("How many talent apartments are there in Chongqing?", "talent_housing_overview"),
        ("Which hospitals can I go to as a foreign expert?", "designated_hospitals"),
        ("How long does approval take now?", "processing_time"),
        ("Can my family move their hukou with me?", "online_settling"),
        ("How do I transfer my personnel file?", "file_transfer"),
        ("What is the Golden Phoenix Talent Code?", "golden_phoenix_code"),
        ("Can a tech company get a loan without collateral?", "knowledge_value_loan"),
    ],
)
def test_an_english_question_finds_its_entry(question, entry_id):
    [hit] = load_knowledge_base().search_english(question, limit=1)
    assert (hit.entry.id, hit.confident) == (entry_id, True)


@pytest.mark.parametrize(
    "question", ["Who invented the steam engine?", "What is astronomy?", "What's the weather?"]
)
def test_an_english_off_topic_question_finds_nothing_confident(question):
    hits = load_knowledge_base().search_english(question, limit=1)
    assert not hits or not hits[0].confident


def test_an_english_reply_is_cited_with_its_checked_date():
    reply = compose_reply_en([load_knowledge_base().by_id("designated_hospitals")])
    assert "77 hospitals" in reply
    assert reply.splitlines()[-1].startswith("(checked 27 November 2026) Source: Chongqing Daily")


def _load_one(tmp_path: Path, change: dict) -> None:
    data = {"topic": "staffing", "entries": [{**GOOD, **change}]}
    (tmp_path / "staffing.yml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    load_entries(tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"questions_en": ["What is it", "How"]}, "without answer_en"),
        ({"answer_en": "An answer.", "questions_en": ["Only one"]}, "at least 2"),
        ({"answer_en": "这是中文。", "questions_en": ["a", "b"]}, "Chinese outside"),
        ({"answer_en": "word " * 300, "questions_en": ["a", "b"]}, "longer than"),
    ],
)
def test_a_broken_english_answer_is_refused(tmp_path, change, message):
    with pytest.raises(KnowledgeError, match=message):
        _load_one(tmp_path, change)


def test_chinese_names_in_brackets_are_allowed(tmp_path):
    _load_one(tmp_path, {"answer_en": "Use Yukuaiban (渝快办).", "questions_en": ["a", "b"]})
