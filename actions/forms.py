"""What the request forms share: consent, read-back, and one validator per catalogue field.

`RequestFormValidation` is abstract, so the SDK does not register it; each request
kind subclasses it naming its catalogue kind, and gets a `validate_<slot>` for every
field the catalogue can parse (bot/common/catalogue). A subclass writes a method only
where a field needs more than its parser (the hospital list lives in the backend).
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendCallError, get_client
from actions.settings import get_settings
from bot.common.catalogue import Field, ParseContext, RequestKind, parse_field

logger = logging.getLogger(__name__)

CHINA_TZ = ZoneInfo("Asia/Shanghai")
SlotDict = dict[str, Any]
#: what data/rules/*.yml run when a request form ends, however it ends (submitted,
#: consent refused, backed out); tests/actions/test_forms.py holds the two together
FINISH_ACTION = "action_submit_request"


def today_in_china() -> date:
    """Return today's date in Chongqing, whatever the server's time zone."""
    return datetime.now(CHINA_TZ).date()


def reject(slot: str, reason: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> SlotDict:
    """Refuse a value with its reason; after repeated failures offer a human."""
    failures = int(tracker.get_slot("validation_failures") or 0) + 1
    dispatcher.utter_message(text=reason)
    if failures >= get_settings().max_validation_failures:
        dispatcher.utter_message(response="utter_too_many_failures")
        failures = 0
    return {slot: None, "validation_failures": float(failures)}


def accept(values: SlotDict) -> SlotDict:
    """Take valid values and reset the failure counter."""
    return {**values, "validation_failures": 0.0}


def field_validator(field: Field) -> Callable[..., SlotDict]:
    """Build the `validate_<slot>` method of one catalogue field: parse, then reject or accept.

    Rasa's FormValidationAction looks validators up by name, so each field gets a
    method of its own name rather than one dispatcher.
    """

    def validate(
        self: Any,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> SlotDict:
        context = ParseContext(today=today_in_china(), known=tracker.current_slot_values())
        result = parse_field(field, value, context)
        if result.error or result.value is None:
            reason = result.error or f"没能识别{field.label}，请再说一次。"
            return reject(field.slot, reason, dispatcher, tracker)
        return accept(field.slot_values(result.value))

    validate.__name__ = f"validate_{field.slot}"
    validate.__doc__ = f"Check {field.slot} ({field.label}) with its catalogue parser."
    return validate


def install_field_validators(cls: type, fields: tuple[Field, ...]) -> None:
    """Give ``cls`` a generic validator for each parseable field it does not validate itself."""
    for field in fields:
        name = f"validate_{field.slot}"
        if field.parse is not None and name not in vars(cls):
            setattr(cls, name, field_validator(field))


def latest_intent(tracker: Tracker) -> str | None:
    """Return the intent of the user's latest message."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_entity(tracker: Tracker, entity: str) -> str | None:
    """Return the value of an entity in the user's latest message."""
    values = list(tracker.get_latest_entity_values(entity))
    return str(values[0]) if values else None


class RequestFormValidation(FormValidationAction, ABC):
    """Validation shared by every request form; subclasses set ``kind``.

    Abstract until a subclass sets ``kind``, so rasa-sdk, which registers every
    concrete ``Action`` subclass it finds, skips this base class.
    """

    @property
    @abstractmethod
    def kind(self) -> RequestKind:
        """Return the catalogue's kind this form collects (a subclass sets ``kind = …``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = vars(cls).get("kind")
        if isinstance(kind, RequestKind):
            install_field_validators(cls, kind.fields)

    def name(self) -> str:
        """Return the action name Rasa calls for this form."""
        return f"validate_{self.kind.form}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Validate as usual and remember which kind of request is being filled.

        When these events end the form, they also name the action that follows
        (``FINISH_ACTION``, the one the form's finishing rule predicts): Rasa then
        runs it without asking its policies, which saves the submission turn one
        prediction (docs/performance.md, row 40).
        """
        events = await super().run(dispatcher, tracker, domain)
        if tracker.get_slot("request_kind") != self.kind.code:
            events.append(SlotSet("request_kind", self.kind.code))
        if await self._ends_form(dispatcher, tracker, domain):
            events.append(FollowupAction(FINISH_ACTION))
        return events

    async def _ends_form(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> bool:
        """Tell whether Rasa's form ends after these events: no required slot is left empty.

        ``tracker`` already holds this run's validated values (rasa-sdk adds them);
        Rasa's form asks for the first required slot still empty, or ends.
        """
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        return all(tracker.get_slot(slot) is not None for slot in required)

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """End the form at once when consent is refused or the user backs out."""
        if tracker.get_slot("privacy_consent") is False:
            return []
        if tracker.get_slot("request_confirmed") is False:
            return []
        return domain_slots

    # --- consent -------------------------------------------------------------
    async def validate_privacy_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Record which notice the user agreed to, and when."""
        if value is not True:
            return {"privacy_consent": value}
        version = tracker.get_slot("consent_notice_version")
        if not version:
            try:
                notice = await asyncio.to_thread(
                    get_client().get_consent_notice, self.kind.notice_key
                )
                version = notice["version"]
            except BackendCallError:
                dispatcher.utter_message(response="utter_backend_unavailable")
                return {"privacy_consent": None}
        return {
            "privacy_consent": True,
            "consent_notice_version": version,
            "consent_agreed_at": datetime.now(CHINA_TZ).isoformat(timespec="seconds"),
        }

    # --- read-back -----------------------------------------------------------
    def validate_request_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Confirm, or change one field and read back again."""
        intent = latest_intent(tracker)
        if intent == "affirm":
            return {"request_confirmed": True}
        changed = [
            slot
            for slot in tracker.slots_to_validate()
            if slot != "request_confirmed"
            and self.kind.field(slot) is not None
            and tracker.get_slot(slot) is not None
        ]
        if changed:
            labels = "、".join(self.kind.field(s).label for s in changed)  # type: ignore[union-attr]
            dispatcher.utter_message(text=f"好的，已更新{labels}。")
            return {"request_confirmed": None}
        field = latest_entity(tracker, "field")
        if field and self.kind.field(field) is not None:
            cleared = {field: None, **{s: None for s in self.kind.dependent.get(field, ())}}
            return {**cleared, "request_confirmed": None}
        if intent in {"change_field", "deny", "inform"}:
            options = "、".join(f.label for f in self.kind.fields)
            dispatcher.utter_message(
                text=f"请问要修改哪一项？可以直接说，例如“手机号改成13912345678”。可修改：{options}。"
            )
            return {"request_confirmed": None}
        dispatcher.utter_message(
            text="请回复“确认提交”，或告诉我要修改哪一项；不想办了可以说“不办了”。"
        )
        return {"request_confirmed": None}
