"""Turn one caller utterance into what the agent needs: topic, details, answer, next question.

Pure apart from the inputs it is given (Rasa's parse result, the knowledge base,
the hospital list), so each rule is tested on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from actions import validators
from bot.common.pii import find_mobiles
from bot.console.fields import (
    INTENT_KINDS,
    KIND_FIELDS,
    KIND_TITLES,
    TOPIC_LABELS,
    next_question,
)

if TYPE_CHECKING:  # the knowledge base loads Jieba: imported when first used
    from bot.knowledge import Entry, KnowledgeBase

HOUSING_TYPES = {"talent_apartment": "人才公寓", "youth_rental": "青年人才公租房"}
#: The words the bot's housing form reads a type from (actions/housing.py), in order.
_HOUSING_TYPE_WORDS = (
    ("youth_rental", ("公租房", "公祖房", "青年", "租")),
    ("talent_apartment", ("人才公寓", "公寓", "人才住房", "人才房")),
)
HALF_DAYS = {"am": "上午", "pm": "下午"}


@dataclass(frozen=True)
class HospitalRef:
    """A designated hospital as the console matches it in speech."""

    code: str
    name: str
    short_names: tuple[str, ...]
    departments: tuple[str, ...]


@dataclass
class Turn:
    """What one utterance added: values by form field, and problems to point out."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def take(self, key: str, outcome: validators.Validated[Any]) -> None:
        """Keep a parsed value, or remember why it could not be used."""
        if outcome.ok:
            self.values[key] = outcome.value
        elif outcome.error:
            self.problems.append(outcome.error)


def parse_housing_type(text: str) -> str | None:
    """Map an entity value (a code, or words such as 公租房) to a housing type code."""
    if text in HOUSING_TYPES:
        return text
    for code, words in _HOUSING_TYPE_WORDS:
        if any(word in text for word in words):
            return code
    return None


def find_hospital(text: str, hospitals: Sequence[HospitalRef]) -> HospitalRef | None:
    """Match a hospital by full or short name, longest name first."""
    names = [(name, h) for h in hospitals for name in (h.name, *h.short_names) if name]
    for name, hospital in sorted(names, key=lambda pair: -len(pair[0])):
        if name in text:
            return hospital
    return None


def read_entities(
    text: str,
    entities: Sequence[Mapping[str, Any]],
    *,
    kind: str | None,
    known: Mapping[str, Any],
    today: date,
    hospitals: Sequence[HospitalRef],
) -> Turn:
    """Map NLU entities (and numbers Rasa may miss) to form fields, parsed like the bot does."""
    turn = Turn()
    by_name: dict[str, str] = {}
    for entity in entities:
        by_name.setdefault(str(entity.get("entity")), str(entity.get("value") or ""))
    parsers: dict[str, Callable[[str], validators.Validated[Any]]] = {
        "district": validators.parse_district,
        "household_size": validators.parse_household_size,
        "move_in_month": lambda value: validators.parse_move_in_month(value, today),
        "phone": validators.parse_mobile,
        "id_number": validators.parse_resident_id,
    }
    for name, value in by_name.items():
        if not value:
            continue
        if name in parsers:
            key = "target_district" if name == "district" and kind == "schooling" else name
            turn.take(key, parsers[name](value))
        elif name == "housing_type" and parse_housing_type(value):
            turn.values["housing_type"] = parse_housing_type(value)
        elif name == "department":
            turn.values["department"] = value
    if "school_stage" in by_name or "grade" in by_name:
        stage = validators.parse_school_stage_and_grade(text, str(known.get("stage") or ""))
        if stage.ok and stage.value:
            turn.values["stage"], grade = stage.value
            if grade is not None:
                turn.values["grade"] = grade
        elif stage.error:
            turn.problems.append(stage.error)
    if "visit_date" in by_name:
        visit = validators.parse_visit_date(by_name["visit_date"] or text, today)
        if visit.ok and visit.value:
            turn.values["visit_date"] = visit.value[0].isoformat()
            if visit.value[1]:
                turn.values["half_day"] = visit.value[1]
        elif visit.error:
            turn.problems.append(visit.error)
    if ("上午" in text or "下午" in text) and "half_day" not in turn.values:
        turn.take("half_day", validators.parse_half_day(text))
    _read_from_text(turn, text, kind=kind, known=known, today=today)
    hospital = find_hospital(text, hospitals)
    if hospital is not None:
        turn.values["hospital_code"] = hospital.code
    if "phone" not in turn.values and len(set(find_mobiles(text))) == 1:
        turn.values["phone"] = find_mobiles(text)[0]
    return turn


#: Words that say a turn may hold a value NLU did not mark, per field.
_HINTS = {
    "household_size": ("口", "人", "位"),
    "move_in_month": ("月",),
    "visit_date": ("号", "日", "周", "星期", "明天", "后天", "今天"),
}


def _read_from_text(
    turn: Turn, text: str, *, kind: str | None, known: Mapping[str, Any], today: date
) -> None:
    """Fill the current request's fields that NLU missed by parsing the words themselves.

    Quietly: a parse that fails here was only a guess, so it adds no problem.
    """
    fields = {
        "housing": {
            "household_size": validators.parse_household_size,
            "move_in_month": lambda t: validators.parse_move_in_month(t, today),
        },
        "hospital": {"visit_date": lambda t: validators.parse_visit_date(t, today)},
    }.get(kind or "", {})
    for key, parse in fields.items():
        if key in turn.values or known.get(key) or not any(h in text for h in _HINTS[key]):
            continue
        found = parse(text)
        if not found.ok or found.value is None:
            continue
        if key == "visit_date":
            day, half_day = found.value
            turn.values["visit_date"] = day.isoformat()
            if half_day and "half_day" not in turn.values:
                turn.values["half_day"] = half_day
        else:
            turn.values[key] = found.value


def display(key: str, value: Any, hospitals: Sequence[HospitalRef]) -> str:
    """Show a field value the way an agent reads it out."""
    if key == "housing_type":
        return HOUSING_TYPES.get(value, str(value))
    if key == "stage":
        return validators.SCHOOL_STAGES.get(value, (str(value), 0))[0]
    if key == "half_day":
        return HALF_DAYS.get(value, str(value))
    if key == "hospital_code":
        return next((h.name for h in hospitals if h.code == value), str(value))
    return str(value)


def best_answer(kb: KnowledgeBase, text: str, topic: str | None) -> tuple[Entry | None, bool]:
    """Pick the entry to read out: within the understood policy topic, else the best hit."""
    from bot.knowledge import POLICY_TOPICS

    if topic in POLICY_TOPICS:
        entry = kb.best_in_topic(topic, text)
        if entry is not None:
            return entry, True
    hits = kb.search(text, limit=1)
    if hits and hits[0].score > 0:
        return hits[0].entry, hits[0].confident
    return None, False


def retrieval_answer(parse: Mapping[str, Any]) -> dict[str, str] | None:
    """Read a response-selector prediction (retrieval intents), if the model has one."""
    for prediction in (parse.get("response_selector") or {}).values():
        if not isinstance(prediction, dict):
            continue
        response = prediction.get("response") or {}
        texts = [r.get("text") for r in response.get("responses") or [] if r.get("text")]
        if texts:
            return {
                "key": str(response.get("intent_response_key") or ""),
                "text": str(texts[0]),
                "confidence": f"{float(response.get('confidence') or 0):.2f}",
            }
    return None


def assist(
    *,
    text: str,
    parse: Mapping[str, Any],
    known: Mapping[str, Any],
    kb: KnowledgeBase,
    today: date,
    hospitals: Sequence[HospitalRef],
) -> dict[str, Any]:
    """Build the call screen's panel for one turn; ``known`` carries earlier turns' values."""
    from bot.knowledge.topics import topic_of

    intent = (parse.get("intent") or {}).get("name")
    confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
    topic = topic_of(intent)
    # a bare answer ("一家三口") asks nothing: keep the answer already on screen
    entry, confident = (None, False) if topic == "dialogue" else best_answer(kb, text, topic)
    kind = INTENT_KINDS.get(intent or "") or known.get("kind") or (entry.offer if entry else None)
    turn = read_entities(
        text,
        list(parse.get("entities") or []),
        kind=kind,
        known=known,
        today=today,
        hospitals=hospitals,
    )
    merged = {**{k: v for k, v in known.items() if v not in (None, "")}, **turn.values}
    if kind:
        merged["kind"] = kind
    question = next_question(kind, merged)
    labels = {f.key: f.label for fields in KIND_FIELDS.values() for f in fields}
    return {
        "intent": intent,
        "confidence": round(confidence, 3),
        "topic": topic,
        "topic_label": TOPIC_LABELS.get(topic or "", "未能识别"),
        "details": [
            {"key": key, "label": labels.get(key, key), "value": display(key, value, hospitals)}
            for key, value in turn.values.items()
        ],
        "problems": turn.problems,
        "kind": kind,
        "kind_title": KIND_TITLES.get(kind or ""),
        "known": merged,
        "next_question": (
            {"key": question.key, "label": question.label, "question": question.question}
            if question
            else None
        ),
        "answer": (
            {
                "id": entry.id,
                "title": entry.title,
                "text": entry.answer,
                "source": entry.cite(),
                "confident": confident,
            }
            if entry
            else None
        ),
        "retrieval": retrieval_answer(parse),
    }
