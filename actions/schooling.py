"""Children's school enrollment requests (人才子女入学)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import validators
from actions.forms import FreeTextSlotsMixin, RequestFormValidation, SlotDict, accept, reject
from actions.request_kinds import SCHOOL_STAGES, SCHOOLING, RequestKind


class ValidateSchoolingForm(FreeTextSlotsMixin, RequestFormValidation):
    """Validate the schooling form."""

    @property
    def kind(self) -> RequestKind:
        """Return the schooling kind."""
        return SCHOOLING

    def validate_child_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Accept the child's name."""
        result = validators.parse_person_name(str(value))
        if result.error:
            return reject("child_name", result.error, dispatcher, tracker)
        return accept({"child_name": result.value})

    def validate_school_stage(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Accept a stage; a grade said with it ("初二") fills the grade too."""
        text = str(value)
        if text in SCHOOL_STAGES:
            return accept({"school_stage": text})
        result = validators.parse_school_stage_and_grade(text)
        if result.error or result.value is None:
            reason = result.error or "请从幼儿园、小学、初中、高中中选择一个学段。"
            return reject("school_stage", reason, dispatcher, tracker)
        stage, grade = result.value
        values: SlotDict = {"school_stage": stage}
        if grade is not None:
            values["grade"] = float(grade)
        return accept(values)

    def validate_grade(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Accept a grade that exists in the chosen stage."""
        stage = tracker.get_slot("school_stage")
        text = str(int(value)) if isinstance(value, float) else str(value)
        if text.isdigit():
            text = f"{text}年级" if stage != "kindergarten" else text
        result = validators.parse_school_stage_and_grade(text, stage=stage)
        if result.error or result.value is None or result.value[1] is None:
            reason = result.error or "请告诉我具体几年级，例如“三年级”或“初二”。"
            return reject("grade", reason, dispatcher, tracker)
        new_stage, grade = result.value
        return accept({"school_stage": new_stage, "grade": float(grade)})

    def validate_current_school(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Accept the current school or city in a few words."""
        return self.short_text("current_school", value, 100, dispatcher, tracker)

    def validate_target_district(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Accept the Chongqing district where the child should study."""
        result = validators.parse_district(str(value))
        if result.error:
            return reject("target_district", result.error, dispatcher, tracker)
        return accept({"target_district": result.value})
