"""Status lookup and cancellation of an existing request.

Both need the request number and the last four digits of the applicant's
phone; an unknown number and a wrong phone get the very same answer.
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.backend_client import (
    BackendRejected,
    BackendUnavailable,
    RequestNotFound,
    TooManyAttempts,
    get_client,
)
from actions.forms import CHINA_TZ, SlotDict, accept, reject
from bot.common.catalogue import KINDS_BY_PREFIX, backend_channel, numbers

NOT_FOUND = "没有找到与这个编号和手机号后四位相符的申请，请核对后再试。"
UNAVAILABLE = "抱歉，办理系统暂时连接不上，请稍后再查。您也可以回复“转人工”。"
LOOKUP_SLOTS = ("request_number", "phone_last4", "cancel_confirmed", "requested_slot")
# the number the conversation last saw (submitted, looked up or typed): offered, never assumed
LAST_NUMBER = "last_request_number"
YES_WORDS = ("是", "对", "嗯", "好", "没错", "就是", "yes")
NO_WORDS = ("不是", "不对", "换一个", "另一个", "别的")


def said_yes(tracker: Tracker, value: str) -> bool:
    """Tell whether the answer to "是刚才的…吗？" was a yes (the intent or the words)."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    text = value.strip().rstrip("。！!~ ")
    if intent == "deny" or any(word in text for word in NO_WORDS):
        return False
    return intent == "affirm" or (len(text) <= 4 and any(text.startswith(w) for w in YES_WORDS))


def locked(exc: TooManyAttempts) -> str:
    """Say politely that this number is locked for a while, and who can help meanwhile."""
    minutes = max(1, -(-exc.retry_after // 60))
    return (
        f"这个编号的核对错误次数过多，为保护申请人的信息，已暂时锁定约 {minutes} 分钟。"
        "请稍后再试；如需帮助，可以回复“转人工”，由工作人员为您核实。"
    )


def sender_of(tracker: Tracker) -> dict[str, str]:
    """Name who is trying, so the backend counts failed proofs per sender too."""
    channel = backend_channel(tracker.get_latest_input_channel())
    return {"channel": channel, "sender_id": tracker.sender_id[:128]}


def clear_lookup() -> list[EventType]:
    """Forget the number and phone proof once the lookup is done."""
    return [SlotSet(slot, None) for slot in LOOKUP_SLOTS]


def describe(request: dict[str, Any]) -> str:
    """Describe a request in one or two lines for its owner."""
    kind = KINDS_BY_PREFIX.get(request["number"][:2])
    title = kind.title if kind else "申请"
    status = request.get("status_label") or request.get("status")
    updated = local_time(request["updated_at"])
    return f"{title} {request['number']}，当前状态：{status}（更新于 {updated}）。"


def local_time(stamp: str) -> str:
    """Show a backend timestamp in Chongqing time, to the minute."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp[:16]
    if moment.tzinfo is not None:
        moment = moment.astimezone(CHINA_TZ)
    return moment.strftime("%Y-%m-%d %H:%M")


class _LookupFormValidation(FormValidationAction, ABC):
    """Number and phone proof, shared by the status and cancel forms."""

    @abstractmethod
    def name(self) -> str:
        """Return the action name."""

    def validate_request_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Accept a request number (HS20261129-4827K, or an older HS20261127-0001), or a yes
        to the one offered.

        The trained regex extracts the number up to its digits, so the whole
        message is read first: it carries the check letter.
        """
        text = str((tracker.latest_message or {}).get("text") or "")
        in_text = re.search(numbers.NUMBER_IN_TEXT, text, re.IGNORECASE)
        last = tracker.get_slot(LAST_NUMBER)
        result = numbers.parse_request_number(text if in_text else str(value))
        if result.error and last and said_yes(tracker, str(value)):
            return accept({"request_number": last})
        if result.error and last:
            # a no (or anything else) to "是刚才的…吗？": forget it, ask for the number itself
            return {"request_number": None, LAST_NUMBER: None}
        if result.error:
            return reject("request_number", result.error, dispatcher, tracker)
        return accept({"request_number": result.value, LAST_NUMBER: result.value})

    async def validate_phone_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Accept exactly four digits (async: the cancel form's override asks the backend)."""
        result = numbers.parse_phone_last4(str(value))
        if result.error:
            return reject("phone_last4", result.error, dispatcher, tracker)
        return accept({"phone_last4": result.value})


class ValidateStatusForm(_LookupFormValidation):
    """Validate the status lookup form."""

    def name(self) -> str:
        """Return the action name."""
        return "validate_status_form"


class ValidateCancelForm(_LookupFormValidation):
    """Validate the cancel form; check the request exists before asking to confirm."""

    def name(self) -> str:
        """Return the action name."""
        return "validate_cancel_form"

    async def validate_phone_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Accept the proof only if it opens a request, so we never confirm a ghost."""
        values = await super().validate_phone_last4(value, dispatcher, tracker, domain)
        number, last4 = tracker.get_slot("request_number"), values.get("phone_last4")
        if not number or not last4:
            return values
        try:
            await asyncio.to_thread(
                get_client().lookup_request, number, last4, sender=sender_of(tracker)
            )
        except RequestNotFound:
            return {**reject("phone_last4", NOT_FOUND, dispatcher, tracker), "request_number": None}
        except TooManyAttempts as exc:
            dispatcher.utter_message(text=locked(exc))
            return {"phone_last4": None, "request_number": None}
        except BackendUnavailable:
            dispatcher.utter_message(text=UNAVAILABLE)
            return {"phone_last4": None}
        return values


class ActionAskRequestNumber(Action):
    """Ask for the request number, offering the one seen earlier in the conversation."""

    def name(self) -> str:
        """Return the action name."""
        return "action_ask_request_number"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Offer "是刚才的 HS…吗？" when a number was seen; the phone proof is asked next anyway."""
        last = tracker.get_slot(LAST_NUMBER)
        failures = float(tracker.get_slot("validation_failures") or 0)
        if not last or failures:
            dispatcher.utter_message(response="utter_ask_request_number")
            return []
        dispatcher.utter_message(
            text=f"是刚才的 {last} 吗？如果不是，请告诉我要查的申请编号。",
            buttons=[
                {"title": f"是，{last}", "payload": f'/inform{{"request_number": "{last}"}}'},
                {"title": "不是，换一个编号", "payload": "/deny"},
            ],
        )
        return []


class ActionAskCancelConfirmed(Action):
    """Show what would be cancelled and ask for a yes."""

    def name(self) -> str:
        """Return the action name."""
        return "action_ask_cancel_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Ask to confirm the cancellation of the named request."""
        number = tracker.get_slot("request_number")
        try:
            request = await asyncio.to_thread(
                get_client().lookup_request,
                number,
                tracker.get_slot("phone_last4"),
                sender=sender_of(tracker),
            )
            what = describe(request)
        except (RequestNotFound, BackendUnavailable, TooManyAttempts):
            what = f"申请 {number}。"
        dispatcher.utter_message(
            text=f"您要取消的是：{what}\n取消后不能恢复，确定取消吗？",
            buttons=[
                {"title": "确定取消", "payload": "/affirm"},
                {"title": "不取消", "payload": "/deny"},
            ],
        )
        return []


class ActionLookupRequest(Action):
    """Tell the owner how their request is going."""

    def name(self) -> str:
        """Return the action name."""
        return "action_lookup_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Look the request up with the owner's proof."""
        try:
            request = await asyncio.to_thread(
                get_client().lookup_request,
                tracker.get_slot("request_number"),
                tracker.get_slot("phone_last4"),
                sender=sender_of(tracker),
            )
        except RequestNotFound:
            dispatcher.utter_message(text=NOT_FOUND)
        except TooManyAttempts as exc:
            dispatcher.utter_message(text=locked(exc))
        except BackendUnavailable:
            dispatcher.utter_message(text=UNAVAILABLE)
        else:
            dispatcher.utter_message(text=describe(request))
            return [*clear_lookup(), SlotSet(LAST_NUMBER, request["number"])]
        return clear_lookup()


class ActionCancelRequest(Action):
    """Cancel the owner's request after an explicit yes."""

    def name(self) -> str:
        """Return the action name."""
        return "action_cancel_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Cancel, or say plainly why it could not be done."""
        if tracker.get_slot("cancel_confirmed") is not True:
            dispatcher.utter_message(response="utter_cancel_kept")
            return clear_lookup()
        try:
            request = await asyncio.to_thread(
                get_client().cancel_request,
                tracker.get_slot("request_number"),
                tracker.get_slot("phone_last4"),
                sender=sender_of(tracker),
            )
        except RequestNotFound:
            dispatcher.utter_message(text=NOT_FOUND)
        except TooManyAttempts as exc:
            dispatcher.utter_message(text=locked(exc))
        except BackendUnavailable:
            dispatcher.utter_message(
                text="抱歉，办理系统暂时连接不上，申请还没有取消，请稍后再试。"
            )
        except BackendRejected as exc:
            dispatcher.utter_message(text=f"无法取消：{exc.message}")
        else:
            dispatcher.utter_message(text=f"已为您取消：{describe(request)}")
        return clear_lookup()
