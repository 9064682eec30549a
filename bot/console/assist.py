"""Turn one caller utterance into what the agent needs: topic, details, answer, next question.

Pure apart from the inputs it is given (Rasa's parse result, the knowledge base,
the hospital list), so each rule is tested on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.common.catalogue import FORM_KINDS, KINDS, Field, ParseContext, RequestKind, parse_field
from bot.common.parsers import answers
from bot.common.parsers.answers import Validated
from bot.common.pii import find_mobiles
from bot.console.fields import KIND_FIELDS, KIND_TITLES, TOPIC_LABELS, kind_of, next_question

if TYPE_CHECKING:  # the knowledge base loads Jieba: imported when first used
    from bot.knowledge import Entry, KnowledgeBase


@dataclass(frozen=True)
class HospitalRef:
    """A designated hospital as the console matches it in speech."""

    code: str
    name: str
    short_names: tuple[str, ...]
    departments: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """Why a value NLU marked could not be used: its field, the words, the reason."""

    key: str
    words: str
    reason: str


@dataclass
class Turn:
    """What one utterance added: values by form field, and problems to point out."""

    values: dict[str, Any] = field(default_factory=dict)
    pending: list[Problem] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """The reasons to show the agent, once each."""
        return list(dict.fromkeys(problem.reason for problem in self.pending))

    def take(
        self, kind: RequestKind, item: Field, outcome: Validated[Any], words: str = ""
    ) -> None:
        """Keep a parsed value under the console's keys, or remember why it could not be used."""
        if outcome.ok and outcome.value is not None:
            self.values.update(console_values(kind, item.slot_values(outcome.value)))
        elif outcome.error:
            self.pending.append(Problem(item.console_key, words, outcome.error))

    def settle(
        self, kind: RequestKind | None, known: Mapping[str, Any], context: ParseContext
    ) -> None:
        """Drop problems the turn has answered after all.

        A field filled (now or in an earlier turn) has no problem left; and words
        NLU took for one field ("三口人" as a month) that are the value another
        field was filled with this turn were that field's, not a problem.
        """
        kept = []
        for problem in self.pending:
            if self.values.get(problem.key) not in (None, "") or known.get(problem.key):
                continue
            if problem.words and self._used_elsewhere(kind, problem, context):
                continue
            kept.append(problem)
        self.pending = kept

    def _used_elsewhere(
        self, kind: RequestKind | None, problem: Problem, context: ParseContext
    ) -> bool:
        for owner in (kind,) if kind is not None else FORM_KINDS:
            for item in owner.fields:
                key = item.console_key
                if key == problem.key or key not in self.values or item.parse is None:
                    continue
                outcome = parse_field(item, problem.words, context)
                if outcome.ok and outcome.value is not None:
                    values = console_values(owner, item.slot_values(outcome.value))
                    if values.get(key) == self.values[key]:
                        return True
        return False


def console_values(kind: RequestKind, slots: Mapping[str, Any]) -> dict[str, Any]:
    """Rename slot values to the console form's keys (school_stage is stage), numbers as int."""
    values: dict[str, Any] = {}
    for slot, value in slots.items():
        item = kind.field(slot)
        if item is not None:
            values[item.console_key] = int(value) if item.number and value is not None else value
    return values


def known_slots(kind: RequestKind | None, known: Mapping[str, Any]) -> dict[str, Any]:
    """Rename the console's known values to slots, for parsers that need context (a grade)."""
    if kind is None:
        return {}
    return {f.slot: known[f.console_key] for f in kind.fields if known.get(f.console_key)}


def entity_field(kind: RequestKind | None, entity: str) -> tuple[RequestKind, Field] | None:
    """Find the field an NLU entity fills: in the request at hand, else the first kind with it."""
    for candidate in (kind,) if kind is not None else FORM_KINDS:
        for item in candidate.fields:
            if item.entity == entity:
                return candidate, item
    return None


def find_hospital(text: str, hospitals: Sequence[HospitalRef]) -> HospitalRef | None:
    """Match a hospital by full or short name, longest name first."""
    names = [(name, h) for h in hospitals for name in (h.name, *h.short_names) if name]
    for name, hospital in sorted(names, key=lambda pair: -len(pair[0])):
        if name in text:
            return hospital
    return None


#: Entities read from the whole utterance rather than the entity's own words.
_FROM_TEXT = {"school_stage", "grade"}


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
    at_hand = KINDS.get(kind or "")
    context = ParseContext(today=today, known=known_slots(at_hand, known))
    by_name: dict[str, str] = {}
    for entity in entities:
        by_name.setdefault(str(entity.get("entity")), str(entity.get("value") or ""))
    for name, value in by_name.items():
        found = entity_field(at_hand, name)
        if not value or found is None or name in _FROM_TEXT:
            continue
        owner, item = found
        if item.parse is not None:
            turn.take(owner, item, parse_field(item, value, context), value)
        elif item.input == "department":  # checked against the chosen hospital on submission
            turn.values[item.console_key] = value
    stage_fields = {f.console_key for f in at_hand.fields} if at_hand else {"stage"}
    if _FROM_TEXT & set(by_name) and "stage" in stage_fields:
        stage = answers.parse_school_stage_and_grade(text, str(known.get("stage") or ""))
        if stage.ok and stage.value:
            turn.values["stage"], grade = stage.value
            if grade is not None:
                turn.values["grade"] = grade
        elif stage.error:
            words = by_name.get("grade") or by_name.get("school_stage") or ""
            turn.pending.append(Problem("stage", words, stage.error))
    if ("上午" in text or "下午" in text) and "half_day" not in turn.values:
        half_day = answers.parse_half_day(text)
        if half_day.ok:
            turn.values["half_day"] = half_day.value
    _read_from_text(turn, text, kind=at_hand, known=known, context=context)
    hospital = find_hospital(text, hospitals)
    if hospital is not None:
        turn.values["hospital_code"] = hospital.code
    if "phone" not in turn.values and len(set(find_mobiles(text))) == 1:
        turn.values["phone"] = find_mobiles(text)[0]
    turn.settle(at_hand, known, context)
    return turn


#: Words that say a turn may hold a value NLU did not mark, per field.
_HINTS = {
    "household_size": ("口", "人", "位"),
    "family_members": ("口", "人", "位", "没有", "不带"),
    "move_in_month": ("月",),
    "visit_date": ("号", "日", "周", "星期", "明天", "后天", "今天"),
}


def _read_from_text(
    turn: Turn,
    text: str,
    *,
    kind: RequestKind | None,
    known: Mapping[str, Any],
    context: ParseContext,
) -> None:
    """Fill the current request's fields that NLU missed by parsing the words themselves.

    Quietly: a parse that fails here was only a guess, so it adds no problem.
    """
    if kind is None:
        return
    for item in kind.fields:
        key = item.console_key
        hints = _HINTS.get(key)
        if not hints or key in turn.values or known.get(key) or not any(h in text for h in hints):
            continue
        found = parse_field(item, text, context)
        if found.ok and found.value is not None:
            values = console_values(kind, item.slot_values(found.value))
            turn.values.update({k: v for k, v in values.items() if k not in turn.values})


def display(kind: str | None, key: str, value: Any, hospitals: Sequence[HospitalRef]) -> str:
    """Show a field value the way an agent reads it out (a choice by its name)."""
    if key == "hospital_code":
        return next((h.name for h in hospitals if h.code == value), str(value))
    for candidate in (KINDS[kind],) if kind in KINDS else FORM_KINDS:
        item = candidate.field_by_console_key(key)
        if item is not None and item.choices:
            return item.choices.get(value, str(value))
    return str(value)


def best_answer(kb: KnowledgeBase, text: str, topic: str | None) -> tuple[Entry | None, bool]:
    """Pick the entry to read out: within the understood policy topic, else the best hit.

    Within the topic only an entry above the coverage bar counts as confident
    (bot/knowledge/answering.py); otherwise the best hit is shown as a guess.
    """
    from bot.knowledge import POLICY_TOPICS
    from bot.knowledge.answering import choose_entries
    from bot.knowledge.coverage import topic_vocabulary

    if topic in POLICY_TOPICS:
        entries = choose_entries(kb, topic_vocabulary(), text, topic)
        if entries:
            return entries[0], True
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
    kind = kind_of(intent, topic) or known.get("kind") or (entry.offer if entry else None)
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
    labels = {f.console_key: f.label for fields in KIND_FIELDS.values() for f in fields}
    if kind in KIND_FIELDS:
        labels |= {f.console_key: f.label for f in KIND_FIELDS[kind]}
    return {
        "intent": intent,
        "confidence": round(confidence, 3),
        "topic": topic,
        "topic_label": TOPIC_LABELS.get(topic or "", "未能识别"),
        "details": [
            {
                "key": key,
                "label": labels.get(key, key),
                "value": display(kind, key, value, hospitals),
            }
            for key, value in turn.values.items()
        ],
        "problems": turn.problems,
        "kind": kind,
        "kind_title": KIND_TITLES.get(kind or ""),
        "known": merged,
        "next_question": (
            {"key": question.console_key, "label": question.label, "question": question.question}
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
