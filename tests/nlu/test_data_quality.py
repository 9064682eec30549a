"""Quality checks for the NLU training data and the held-out evaluation set.

Run with: .venv/rasa/bin/python -m pytest tests/nlu/test_data_quality.py
"""

from __future__ import annotations

import csv
import logging
import re
from collections import defaultdict
from pathlib import Path

import jieba
import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.common.catalogue import ALL_KINDS, FORM_KINDS
from bot.common.catalogue.numbers import PREFIXES
from bot.common.normalise import normalise as normalise_text
from bot.common.parsers.services import parse_grade

ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = ROOT / "data" / "nlu"
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
TOPICS_MAP = ROOT / "data" / "topics.yml"
JIEBA_DICT_DIR = ROOT / "bot" / "nlu" / "jieba_dict"
DISTRICTS_CSV = ROOT / "bot" / "reference_data" / "districts.csv"
# The evaluation contract lives outside the repository when run in the team
# workspace; the topics below are a copy of its table, cross-checked when found.
TOPICS_SPEC = ROOT.parent / "shared" / "spec" / "topics.md"

TOPICS = {
    "housing_apply",
    "housing_policy",
    "school_apply",
    "school_policy",
    "hospital_book",
    "hospital_policy",
    "hukou",
    "talent_code",
    "funding",
    "tech_transfer",
    "finance",
    "staffing",
    "general_service",
    "request_status",
    "request_cancel",
    "human_handoff",
    "greet",
    "goodbye",
    "thanks",
    "bot_challenge",
    "out_of_scope",
    "dialogue",
}
DIALOGUE_INTENTS = {"inform", "affirm", "deny", "stop", "change_field", "retry"}
#: what the request catalogue declares: the entities its fields are filled from, the
#: slots a "field" entity may name, and the codes of its choices
ENTITIES = {f.entity for k in ALL_KINDS for f in k.fields if f.entity} | {"request_number", "field"}
FIELD_VALUES = {f.slot for k in FORM_KINDS for f in k.fields}
ENUM_VALUES = {
    **{f.entity: set(f.choices) for k in ALL_KINDS for f in k.fields if f.entity and f.choices},
    "field": FIELD_VALUES,
}
PHONE_RE = re.compile(r"1[3-9]\d{9}")
ID_RE = re.compile(r"[1-9]\d{5}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]")
REQUEST_NUMBER_RE = re.compile(rf"({'|'.join(PREFIXES.values())})\d{{8}}-?\d{{4}}", re.IGNORECASE)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


def id_check_digit_ok(id_number: str) -> bool:
    """Verify a resident ID's GB 11643 check digit."""
    total = sum(int(d) * w for d, w in zip(id_number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11] == id_number[17].upper()


@pytest.fixture(scope="module")
def training() -> TrainingData:
    """Load the NLU training data as Rasa does."""
    return load_data(str(NLU_DIR), language="zh")


@pytest.fixture(scope="module")
def heldout() -> TrainingData:
    """Load the held-out evaluation set."""
    return load_data(str(HELDOUT), language="zh")


@pytest.fixture(scope="module")
def topic_map() -> dict[str, str]:
    """Read the intent-to-topic map the evaluation uses, without Rasa's own fallback intent."""
    topics = yaml.safe_load(TOPICS_MAP.read_text(encoding="utf-8"))["topics"]
    assert topics.pop("nlu_fallback", None) == "out_of_scope"
    return topics


@pytest.fixture(scope="module")
def tokenizer() -> jieba.Tokenizer:
    """A Jieba tokenizer with the same user dictionaries as the pipeline."""
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    for path in sorted(JIEBA_DICT_DIR.iterdir()):
        tok.load_userdict(str(path))
    return tok


def by_intent(data: TrainingData) -> dict[str, list[Message]]:
    """Group the intent examples of a data set by intent."""
    groups: dict[str, list[Message]] = defaultdict(list)
    for message in data.intent_examples:
        groups[message.get("intent")].append(message)
    return groups


def entities_of(data: TrainingData) -> list[tuple[Message, dict]]:
    """List every annotated entity with its message."""
    return [(m, e) for m in data.training_examples for e in m.get("entities") or []]


def normalise(text: str) -> str:
    """Compare examples as the model reads them (dialect, width, script), ignoring punctuation."""
    return re.sub(r"[\s，。？！,.?!、~～]", "", normalise_text(text)).lower()


def test_every_intent_has_enough_examples(training: TrainingData, topic_map: dict):
    counts = {intent: len(msgs) for intent, msgs in by_intent(training).items()}
    too_few = {
        intent: n for intent, n in counts.items() if n < (25 if intent in DIALOGUE_INTENTS else 40)
    }
    assert not too_few
    assert set(topic_map) <= set(counts), "an intent of topics.yml has no examples"


def test_out_of_scope_is_broad(training: TrainingData):
    assert len(by_intent(training)["out_of_scope"]) >= 60


def test_inform_covers_every_entity(training: TrainingData):
    in_inform = {e["entity"] for m, e in entities_of(training) if m.get("intent") == "inform"}
    assert ENTITIES - {"field"} <= in_inform


def test_no_example_in_two_intents(training: TrainingData):
    intents_of: dict[str, set[str]] = defaultdict(set)
    for message in training.intent_examples:
        intents_of[normalise(message.get("text"))].add(message.get("intent"))
    clashes = {text: i for text, i in intents_of.items() if len(i) > 1}
    assert not clashes


def test_heldout_is_not_in_training(training: TrainingData, heldout: TrainingData):
    seen = {normalise(m.get("text")) for m in training.intent_examples}
    leaked = [m.get("text") for m in heldout.intent_examples if normalise(m.get("text")) in seen]
    assert not leaked


def test_heldout_covers_every_intent(heldout: TrainingData, topic_map: dict):
    counts = {intent: len(msgs) for intent, msgs in by_intent(heldout).items()}
    for intent in topic_map:
        assert counts.get(intent, 0) >= (5 if intent in DIALOGUE_INTENTS else 10), intent


def test_every_training_intent_has_a_topic(
    training: TrainingData, heldout: TrainingData, topic_map: dict
):
    assert training.intents <= set(topic_map)
    assert heldout.intents <= set(topic_map)
    assert set(topic_map.values()) <= TOPICS


def test_every_topic_is_reached(topic_map: dict):
    assert set(topic_map.values()) == TOPICS


def test_topics_match_the_spec():
    if not TOPICS_SPEC.exists():
        pytest.skip(f"{TOPICS_SPEC} not available")
    rows = re.findall(r"^\|\s*([a-z_]+)\s*\|", TOPICS_SPEC.read_text(encoding="utf-8"), re.M)
    assert set(rows) - {"topic"} == TOPICS


@pytest.mark.parametrize("data_name", ["training", "heldout"])
def test_entities_are_known(data_name: str, request: pytest.FixtureRequest):
    data = request.getfixturevalue(data_name)
    unknown = {e["entity"] for _, e in entities_of(data)} - ENTITIES
    assert not unknown


def test_synonym_values_are_canonical(training: TrainingData):
    districts = {row["name"] for row in csv.DictReader(DISTRICTS_CSV.open(encoding="utf-8"))}
    synonyms = training.entity_synonyms
    for message, entity in entities_of(training):
        value = synonyms.get(entity["value"].lower(), entity["value"])
        if entity["entity"] == "district":
            assert value in districts, (message.get("text"), value)
        elif entity["entity"] in ENUM_VALUES:
            assert value in ENUM_VALUES[entity["entity"]], (message.get("text"), value)


def test_no_synonym_text_maps_to_two_values():
    data = yaml.safe_load((NLU_DIR / "synonyms.yml").read_text(encoding="utf-8"))
    values_of: dict[str, set[str]] = defaultdict(set)
    for block in data["nlu"]:
        for line in block["examples"].splitlines():
            if line.strip().startswith("- "):
                values_of[line.strip()[2:].strip().lower()].add(str(block["synonym"]))
    assert not {t: v for t, v in values_of.items() if len(v) > 1}


def test_district_lookup_covers_reference_data(training: TrainingData):
    lookup = next(t for t in training.lookup_tables if t["name"] == "district")
    names = set(lookup["elements"])
    for row in csv.DictReader(DISTRICTS_CSV.open(encoding="utf-8")):
        assert {row["name"], *row["aliases"].split("|")} <= names


@pytest.mark.parametrize("name", ["district", "hospital", "department"])
def test_lookup_longer_names_first(training: TrainingData, name: str):
    """Regex alternation takes the first match, so 渝北区 must precede 渝北."""
    elements = next(t for t in training.lookup_tables if t["name"] == name)["elements"]
    for i, earlier in enumerate(elements):
        for later in elements[i + 1 :]:
            assert earlier not in later, (earlier, later)


@pytest.mark.parametrize("data_name", ["training", "heldout"])
def test_annotated_numbers_are_well_formed(data_name: str, request: pytest.FixtureRequest):
    data = request.getfixturevalue(data_name)
    patterns = {"phone": PHONE_RE, "id_number": ID_RE, "request_number": REQUEST_NUMBER_RE}
    for message, entity in entities_of(data):
        pattern = patterns.get(entity["entity"])
        if pattern:
            assert pattern.fullmatch(entity["value"]), (message.get("text"), entity)
        if entity["entity"] == "id_number":
            assert id_check_digit_ok(entity["value"]), entity["value"]


@pytest.mark.parametrize("data_name", ["training", "heldout"])
def test_entity_spans_fall_on_token_boundaries(
    data_name: str, request: pytest.FixtureRequest, tokenizer: jieba.Tokenizer
):
    """A span inside a Jieba token is dropped by DIET ("Misaligned entity annotation")."""
    data = request.getfixturevalue(data_name)
    misaligned = []
    for message, entity in entities_of(data):
        tokens = list(tokenizer.tokenize(message.get("text")))
        starts = {start for _, start, _ in tokens}
        ends = {end for _, _, end in tokens}
        if entity["start"] not in starts or entity["end"] not in ends:
            misaligned.append((message.get("text"), entity["value"], [t[0] for t in tokens]))
    assert not misaligned


def test_unannotated_numbers_are_flagged(training: TrainingData):
    """A phone, ID or request number in an example must be annotated."""
    finders = [
        re.compile(rf"(?<!\d){PHONE_RE.pattern}(?!\d)"),
        re.compile(rf"(?<!\d){ID_RE.pattern}(?![0-9Xx])"),
        REQUEST_NUMBER_RE,
    ]
    for message in training.intent_examples:
        text = message.get("text")
        spans = [(e["start"], e["end"]) for e in message.get("entities") or []]
        for finder in finders:
            for match in finder.finditer(text):
                covered = any(s <= match.start() and match.end() <= e for s, e in spans)
                assert covered, (text, match.group())


@pytest.fixture(scope="module")
def grade_pattern(training: TrainingData) -> re.Pattern[str]:
    return re.compile(next(r["pattern"] for r in training.regex_features if r["name"] == "grade"))


@pytest.mark.parametrize("data_name", ["training", "heldout"])
def test_grade_regex_finds_every_annotated_grade(
    data_name: str, request: pytest.FixtureRequest, grade_pattern: re.Pattern[str]
):
    """Grades come from the regex (RegexEntityExtractor), not a learned model: it must
    find each grade the data annotates, exactly, and the form's parser must accept it."""
    data = request.getfixturevalue(data_name)
    grades = [(m.get("text"), e) for m, e in entities_of(data) if e["entity"] == "grade"]
    assert grades
    for text, entity in grades:
        found = [(m.start(), m.end()) for m in grade_pattern.finditer(text)]
        assert (entity["start"], entity["end"]) in found, (text, entity, found)
        assert parse_grade(entity["value"], None).ok, entity["value"]


@pytest.mark.parametrize(
    "text", ["正月初一去看病", "想提高一点额度", "高三度的烧", "坐大班车去", "我要挂心内科"]
)
def test_grade_regex_ignores_look_alikes(text: str, grade_pattern: re.Pattern[str]):
    assert grade_pattern.search(text) is None
