"""Talent housing requests (人才公寓 / 青年人才公租房)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import validators
from actions.forms import RequestFormValidation, SlotDict, accept, reject, today_in_china
from actions.request_kinds import HOUSING, HOUSING_TYPES, RequestKind

_HOUSING_TYPE_WORDS = {
    "youth_rental": ("公租房", "青年", "租"),
    "talent_apartment": ("人才公寓", "公寓", "人才住房", "人才房"),
}


def parse_housing_type(text: str) -> str | None:
    """Map what the user said to a housing type code."""
    if text in HOUSING_TYPES:
        return text
    for code, words in _HOUSING_TYPE_WORDS.items():
        if any(word in text for word in words):
            return code
    return None


class ValidateHousingForm(RequestFormValidation):
    """Validate the housing form."""

    @property
    def kind(self) -> RequestKind:
        """Return the housing kind."""
        return HOUSING

    def validate_housing_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Accept one of the two housing types."""
        code = parse_housing_type(str(value))
        if code is None:
            return reject(
                "housing_type",
                "目前可申请“人才公寓”或“青年人才公租房”，请选其中一种。",
                dispatcher,
                tracker,
            )
        return accept({"housing_type": code})

    def validate_district(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Accept a Chongqing district or county."""
        result = validators.parse_district(str(value))
        if result.error:
            return reject("district", result.error, dispatcher, tracker)
        return accept({"district": result.value})

    def validate_household_size(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Accept 1 to 10 people."""
        text = str(int(value)) if isinstance(value, float) else str(value)
        result = validators.parse_household_size(text)
        if result.error:
            return reject("household_size", result.error, dispatcher, tracker)
        return accept({"household_size": float(result.value)})

    def validate_move_in_month(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Accept a month from now to two years ahead."""
        result = validators.parse_move_in_month(str(value), today_in_china())
        if result.error:
            return reject("move_in_month", result.error, dispatcher, tracker)
        return accept({"move_in_month": result.value})
