"""What a request kind and its fields are: the shapes the catalogue is written in.

Pure Python: the action server, the console and the backend all read these, and none of
Rasa, FastAPI or SQLAlchemy is imported here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from bot.common.parsers.answers import Validated
from bot.common.parsers.services import as_text

Section = Literal["applicant", "details"]
#: How a stored value is masked wherever it is shown: a name, a mobile, a resident ID,
#: free text that may hide numbers (masked inside), or not at all (codes, districts, dates).
Mask = Literal["name", "phone", "id_number", "text", "none"]
#: How the console offers a field: a text box, a number, a month or date picker, a
#: list of the field's choices, the designated hospitals or the chosen hospital's departments.
InputKind = Literal["text", "number", "month", "date", "choice", "hospital", "department"]


@dataclass(frozen=True)
class ParseContext:
    """What a parser may need besides the text: today, and the values known so far by slot."""

    today: date
    known: Mapping[str, Any] = field(default_factory=dict)


Parser = Callable[[str, ParseContext], Validated[Any]]
Shower = Callable[[Any, Mapping[str, Any]], str]
SlotWriter = Callable[[Any], dict[str, Any]]


def _plain(value: Any, _slots: Mapping[str, Any]) -> str:
    return as_text(value)


@dataclass(frozen=True)
class Field:
    """One value a request collects, from the question to the backend's body.

    ``slot`` is the Rasa slot, ``key`` the name in the backend's body (under
    ``applicant`` or ``details``), ``label`` the Chinese name shown in read-backs and
    the console, ``question`` what an agent asks a caller for it. ``parse`` turns a
    typed answer into the value (None: the form checks it against the backend's
    reference data itself), ``to_slots`` writes a parsed value into slots (a school
    stage may bring its grade), ``show`` reads a value back with personal data masked.
    """

    slot: str
    key: str
    label: str
    question: str
    parse: Parser | None
    section: Section = "details"
    show: Shower = _plain
    to_slots: SlotWriter | None = None
    required: bool = True
    entity: str | None = None
    input: InputKind = "text"
    choices: Mapping[str, str] | None = None
    mask: Mask = "none"
    number: bool = False

    @property
    def console_key(self) -> str:
        """Name the field in the console's form: the body key, but the slot for the applicant.

        The applicant's body keys (``name``) would be ambiguous beside a child's name.
        """
        return self.slot if self.section == "applicant" else self.key

    def slot_values(self, value: Any) -> dict[str, Any]:
        """Return the slot events' values for a parsed value."""
        if self.to_slots is not None:
            return self.to_slots(value)
        return {self.slot: float(value) if self.number else value}

    def payload_value(self, value: Any) -> Any:
        """Return a slot's value as the backend's body wants it."""
        if value is None:
            return None
        return int(value) if self.number else value


@dataclass(frozen=True)
class RequestKind:
    """A kind of service request: its number, team, notice, form and fields, once.

    ``notice`` names the personal-data notice in the backend (bot/backend/consent);
    ``topics`` are the conversation topics (data/topics.yml) whose handoffs and
    callbacks go to this kind's ``team``; ``intent`` is the NLU intent that starts the
    form (None: started by the dialogue, as the callback is); ``fixed_details`` are sent
    as they are (the hospital's green channel), ``derived_details`` are filled by whoever
    submits (a callback's team and topic); ``extra_labels`` name the details the backend
    adds (the hospital's name); ``dependent`` lists the slots a change makes stale;
    ``offer`` is the button that opens the form below a policy answer.
    """

    code: str
    prefix: str
    title: str
    team: str
    form: str
    intent: str | None
    topics: tuple[str, ...]
    fields: tuple[Field, ...]
    notice: str = ""
    offer: str = ""
    console_form: bool = True
    fixed_details: Mapping[str, Any] = field(default_factory=dict)
    derived_details: tuple[str, ...] = ()
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    dependent: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    housekeeping_slots: tuple[str, ...] = ()
    consent_slot: str = "privacy_consent"
    confirm_slot: str | None = "request_confirmed"

    @property
    def required_slots(self) -> tuple[str, ...]:
        """Return the form's slots in the order asked: consent, the fields, the read-back."""
        confirm = (self.confirm_slot,) if self.confirm_slot else ()
        return (self.consent_slot, *(f.slot for f in self.fields), *confirm)

    @property
    def notice_key(self) -> str:
        """Return the kind whose notice the applicant agrees to (its own by default)."""
        return self.notice or self.code

    @property
    def detail_fields(self) -> tuple[Field, ...]:
        """Return the fields about the matter itself."""
        return tuple(f for f in self.fields if f.section == "details")

    @property
    def applicant_fields(self) -> tuple[Field, ...]:
        """Return the applicant's own fields this kind asks for."""
        return tuple(f for f in self.fields if f.section == "applicant")

    @property
    def needs_id_number(self) -> bool:
        """Tell whether the applicant's resident ID number is collected."""
        return any(f.key == "id_number" for f in self.applicant_fields)

    @property
    def slots(self) -> tuple[str, ...]:
        """Return every slot to clear when the request is done or abandoned."""
        return tuple(f.slot for f in self.fields) + self.housekeeping_slots

    @property
    def detail_keys(self) -> tuple[str, ...]:
        """Return every key of the backend's ``details`` body for this kind."""
        return (
            tuple(f.key for f in self.detail_fields)
            + tuple(self.fixed_details)
            + self.derived_details
        )

    def detail_keys_masked_as(self, *masks: Mask) -> tuple[str, ...]:
        """Return the detail keys masked one of these ways (derived details are free text)."""
        keys = tuple(f.key for f in self.detail_fields if f.mask in masks)
        return keys + (self.derived_details if "text" in masks else ())

    @property
    def detail_labels(self) -> dict[str, str]:
        """Return the Chinese label of every detail the backend may hold for this kind."""
        return {**{f.key: f.label for f in self.detail_fields}, **self.extra_labels}

    def field(self, slot: str) -> Field | None:
        """Return the field stored in a slot, if this kind has it."""
        return next((f for f in self.fields if f.slot == slot), None)

    def field_by_key(self, key: str) -> Field | None:
        """Return the field sent under a body key, if this kind has it."""
        return next((f for f in self.fields if f.key == key), None)

    def field_by_console_key(self, key: str) -> Field | None:
        """Return the field the console's form names ``key``, if this kind has it."""
        return next((f for f in self.fields if f.console_key == key), None)

    def summary(self, slots: Mapping[str, Any]) -> str:
        """Render the read-back, with personal data masked."""
        lines = [f"办理事项：{self.title}"]
        for item in self.fields:
            value = slots.get(item.slot)
            lines.append(f"{item.label}：{'-' if value is None else item.show(value, slots)}")
        return "\n".join(lines)

    def applicant_payload(self, slots: Mapping[str, Any]) -> dict[str, Any]:
        """Build the backend's ``applicant`` body from the slots."""
        return {f.key: f.payload_value(slots.get(f.slot)) for f in self.applicant_fields}

    def details_payload(
        self, slots: Mapping[str, Any], refs: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Build the backend's ``details`` body; ``refs`` overrides resolved values (codes)."""
        refs = refs or {}
        body = {
            f.key: refs[f.key] if f.key in refs else f.payload_value(slots.get(f.slot))
            for f in self.detail_fields
        }
        return {**body, **self.fixed_details}
