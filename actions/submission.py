"""Read-back, submission, retry and abandonment of a filled request form."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ACTION_LISTEN_NAME
from rasa_sdk.types import DomainDict
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from actions.backend_client import BackendRejected, BackendUnavailable, get_client
from actions.hospitals import hospital_by_name
from bot.common.catalogue import HOSPITAL, KINDS, KINDS_BY_FORM, RequestKind, backend_channel

logger = logging.getLogger(__name__)

CONFIRM_BUTTONS = [
    {"title": "确认提交", "payload": "/affirm"},
    {"title": "修改", "payload": "/change_field"},
    {"title": "不办了", "payload": "/stop"},
]
#: the backend's names of the consent record, which the consent question answers again
_CONSENT_KEYS = {"notice_version", "consent"}
#: what follows a submission however it went, unless it reopens the form: every rule and
#: story waits for the user after it (tests/actions/test_submission.py holds the two together)
LISTEN = ACTION_LISTEN_NAME


def reset(kind: RequestKind) -> list[EventType]:
    """Clear everything a finished or abandoned request collected."""
    return [SlotSet(slot, None) for slot in kind.slots]


async def build_payload(kind: RequestKind, tracker: Tracker) -> dict[str, Any]:
    """Assemble the backend's create body from the validated slots."""
    slots = tracker.current_slot_values()
    refs: dict[str, str] = {}
    if kind is HOSPITAL:
        hospital = await hospital_by_name(slots["hospital"])
        if hospital is None:
            raise BackendRejected(
                "validation_error", "所选医院已不在定点医院名单中。", {"hospital": "未找到"}
            )
        refs["hospital_code"] = hospital["code"]
    return {
        "kind": kind.code,
        "applicant": kind.applicant_payload(slots),
        "channel": backend_channel(tracker.get_latest_input_channel()),
        "sender_id": tracker.sender_id,
        "consent": {
            "notice_version": slots["consent_notice_version"],
            "agreed_at": slots["consent_agreed_at"],
        },
        "details": kind.details_payload(slots, refs),
    }


def new_idempotency_key(sender_id: str) -> str:
    """Mint the key one request keeps from its read-back until it is created or dropped."""
    return f"{sender_id}:{uuid.uuid4().hex}"


def then_listen(events: list[EventType]) -> list[EventType]:
    """Name listening as what follows, unless these events already name a follow-up.

    Rasa then waits for the user without asking its policies, which saves the
    submission turn, the longest turn there is, its last prediction
    (docs/performance.md, row 42). A reopened form names itself and keeps that.
    """
    if any(event.get("event") == "followup" for event in events):
        return events
    return [*events, FollowupAction(LISTEN)]


def create_with_retries(payload: dict[str, Any], key: str) -> dict[str, Any]:
    """Create the request, retrying a bounded number of times with the same key.

    A retry after a lost answer (the backend committed, the reply never came)
    returns the request already made, so retrying can never make a second one.
    ``SUBMIT_ATTEMPTS`` tries at most, within ``SUBMIT_RETRY_SECONDS``.
    """
    attempts = int(os.environ.get("SUBMIT_ATTEMPTS", "3"))
    budget = float(os.environ.get("SUBMIT_RETRY_SECONDS", "3"))
    for attempt in Retrying(
        retry=retry_if_exception_type(BackendUnavailable),
        stop=stop_after_attempt(attempts) | stop_after_delay(budget),
        wait=wait_exponential(multiplier=0.2, max=1.0),
        reraise=True,
    ):
        with attempt:
            if attempt.retry_state.attempt_number > 1:
                logger.info(
                    "retrying a submission (attempt %d)", attempt.retry_state.attempt_number
                )
            return get_client().create_request(payload, idempotency_key=key)
    raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover


async def submit(
    kind: RequestKind, dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[EventType]:
    """Send the request (with bounded retries); on a fault keep everything for an exact retry."""
    # fixed when the read-back was shown; minted here only for conversations older than that
    key = tracker.get_slot("idempotency_key") or new_idempotency_key(tracker.sender_id)
    try:
        payload = await build_payload(kind, tracker)
        created = await asyncio.to_thread(create_with_retries, payload, key)
    except BackendUnavailable:
        dispatcher.utter_message(response="utter_backend_unavailable")
        return [
            SlotSet("idempotency_key", key),
            SlotSet("submission_pending", True),
            SlotSet("request_kind", kind.code),
        ]
    except BackendRejected as exc:
        return _reopen_form(kind, exc, dispatcher)
    number = created["number"]
    logger.info("request %s created for a %s conversation", number, kind.code)
    dispatcher.utter_message(
        text=(
            f"提交成功！您的{kind.title}编号是 {number}，请记好。\n"
            f"经办人员会通过您留的手机号 {created['applicant']['phone']} 联系您。"
            "之后想查进度，跟我说“查询申请”，再提供编号和手机号后四位即可。"
        )
    )
    return [*reset(kind), SlotSet("last_request_number", number)]


def _reopen_form(
    kind: RequestKind, exc: BackendRejected, dispatcher: CollectingDispatcher
) -> list[EventType]:
    """Ask again for what the backend refused, then read back again."""
    slots = {_slot_of(kind, problem) for problem in exc.fields}
    if exc.code == "consent_required":
        slots.add("privacy_consent")
    known = {s for s in slots if kind.field(s) is not None or s == "privacy_consent"}
    if not known:
        dispatcher.utter_message(text=f"提交未成功：{exc.message} 您可以回复“转人工”获得帮助。")
        return [SlotSet("submission_pending", False), SlotSet("request_confirmed", None)]
    dispatcher.utter_message(text=f"提交未成功：{exc.message} 请重新提供这一项。")
    events: list[EventType] = [SlotSet(slot, None) for slot in sorted(known)]
    if "privacy_consent" in known:
        events.append(SlotSet("consent_notice_version", None))
    return [*events, SlotSet("request_confirmed", None), FollowupAction(kind.form)]


def _slot_of(kind: RequestKind, problem: str) -> str:
    """Name the slot behind a field the backend refused ("details.stage" is school_stage)."""
    key = problem.split(".")[-1]
    if key in _CONSENT_KEYS:
        return "privacy_consent"
    field = kind.field_by_key(key)
    return field.slot if field is not None else key


class ActionAskRequestConfirmed(Action):
    """Read the collected details back (masked) and ask to confirm."""

    def name(self) -> str:
        """Return the action name."""
        return "action_ask_request_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Show the read-back with confirm / change / stop buttons."""
        kind = KINDS_BY_FORM.get(tracker.active_loop_name or "")
        if kind is None:
            return []
        dispatcher.utter_message(
            text=f"请核对以下信息：\n{kind.summary(tracker.current_slot_values())}\n"
            "无误请回复“确认提交”；要修改就直接说，例如“手机号改成13912345678”。",
            buttons=CONFIRM_BUTTONS,
        )
        # The key is fixed now, before any attempt: whatever happens to the
        # submission (a lost answer, a dead action server, "重试", a second
        # "确认提交"), every attempt for this request carries the same key.
        if tracker.get_slot("idempotency_key"):
            return []
        return [SlotSet("idempotency_key", new_idempotency_key(tracker.sender_id))]


class ActionSubmitRequest(Action):
    """Finish a request form: submit it, or explain why it was not submitted."""

    def name(self) -> str:
        """Return the action name."""
        return "action_submit_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Submit after an explicit consent and confirmation, never otherwise."""
        kind = KINDS.get(tracker.get_slot("request_kind") or "")
        if kind is None:
            return then_listen([])
        if tracker.get_slot("privacy_consent") is not True:
            dispatcher.utter_message(response="utter_consent_declined")
            return then_listen(reset(kind))
        if tracker.get_slot("request_confirmed") is not True:
            dispatcher.utter_message(response="utter_request_abandoned")
            return then_listen(reset(kind))
        return then_listen(await submit(kind, dispatcher, tracker))


class ActionRetrySubmission(Action):
    """Retry a submission that could not reach the backend, with the same key."""

    def name(self) -> str:
        """Return the action name."""
        return "action_retry_submission"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Resubmit the kept details; the backend returns the same request if it got it."""
        kind = KINDS.get(tracker.get_slot("request_kind") or "")
        if kind is None or not _awaiting_outcome(tracker):
            dispatcher.utter_message(response="utter_nothing_to_retry")
            return []
        return then_listen(await submit(kind, dispatcher, tracker))


def _awaiting_outcome(tracker: Tracker) -> bool:
    """Tell whether a confirmed request has not been acknowledged with a number yet.

    Either the backend was unreachable (``submission_pending``), or the submit
    action itself never reported back (the action server died or was too slow,
    and Rasa lost its events): the request is still confirmed and keyed.
    """
    if tracker.get_slot("submission_pending"):
        return True
    return (
        tracker.get_slot("request_confirmed") is True
        and bool(tracker.get_slot("idempotency_key"))
        and tracker.active_loop_name is None
    )


class ActionAbandonRequest(Action):
    """Drop the request being filled (or waiting for a retry) at the user's word."""

    def name(self) -> str:
        """Return the action name."""
        return "action_abandon_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Say it is dropped and forget the details."""
        kind = KINDS.get(tracker.get_slot("request_kind") or "")
        if kind is None:
            dispatcher.utter_message(text="好的。还有什么可以帮您？")
            return [SlotSet("request_number", None), SlotSet("phone_last4", None)]
        dispatcher.utter_message(response="utter_request_abandoned")
        return reset(kind)
