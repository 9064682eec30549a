"""Make a Rasa 3.6 instance say so when a part behind it fails, instead of losing work quietly.

Stock Rasa 3.6.21 (read from its source):

- ``Agent`` wraps every tracker store in ``FailSafeTrackerStore``: a failed save
  goes to process memory, a failed read returns a fresh tracker, so a
  half-filled form vanishes and the user is never told;
- a custom action is called with a 300 s timeout (``DEFAULT_REQUEST_TIMEOUT``)
  and a failure is logged and swallowed: the user waits, then gets nothing;
- an error from the lock store or the tracker store escapes the turn, and the
  REST channel answers ``200 []``.

``install`` changes exactly these three things, in this process only (the
``bot.serving`` entry point calls it before Rasa starts; ``make run`` is not
affected): the tracker store is used bare, so its errors reach the turn; the
action call is bounded by ``ACTION_TIMEOUT_SECONDS`` and a failed or late
action becomes one apology and the end of the turn; and a turn that fails for
any reason answers 「系统繁忙，请稍后再试」 on the user's own channel. The tracker
save is one SQL transaction, so a failed turn leaves nothing half-saved. (A
PostgreSQL connection the server closed, by a restart or a failover, is replaced
on checkout by the tracker store itself: ``bot/serving/db_liveness.py``.)
"""

from __future__ import annotations

import logging
from typing import Any

import rasa.core.actions.action as rasa_action
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, FollowupAction, UserUttered

from bot.common.pii import mask_text

logger = logging.getLogger(__name__)

SYSTEM_BUSY = "抱歉，系统繁忙，请稍后再试。"
ACTION_UNAVAILABLE = (
    "抱歉，系统繁忙，刚才这一步没有完成，请稍后再试。"
    "如果您正在提交申请，稍后回复“重试”即可，不会重复提交。"
)
_installed: list[float] = []
FAILED_TURNS_KEPT = 10_000


def install(action_timeout_seconds: float) -> None:
    """Apply the three changes once per process (idempotent)."""
    if _installed:
        return
    _installed.append(action_timeout_seconds)
    Agent._create_tracker_store = staticmethod(_bare_tracker_store)
    rasa_action.DEFAULT_REQUEST_TIMEOUT = action_timeout_seconds
    original_run = RemoteAction.run
    #: sender -> the turn in which the action server last failed for it
    failed_turns: dict[str, str] = {}
    original_handle = Agent.handle_message

    async def run_or_apologise(
        self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Domain
    ) -> list[Event]:
        turn = _turn_of(tracker)
        if turn and failed_turns.get(tracker.sender_id) == turn:
            # the action server already failed in this turn: do not wait for it again
            return [FollowupAction(ACTION_LISTEN_NAME)]
        try:
            return await original_run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise  # a form's "slot not filled": Rasa's normal flow
        except Exception as exc:  # noqa: BLE001 - the action server is down, slow or broken
            logger.error(
                "custom action %s failed (%s); told the user the system is busy",
                self.name(),
                type(exc).__name__,
            )
            if turn:
                failed_turns[tracker.sender_id] = turn
            while len(failed_turns) > FAILED_TURNS_KEPT:
                failed_turns.pop(next(iter(failed_turns)))
            if _already_apologised(tracker):
                return [FollowupAction(ACTION_LISTEN_NAME)]
            return [BotUttered(ACTION_UNAVAILABLE), FollowupAction(ACTION_LISTEN_NAME)]

    async def handle_or_say_busy(self: Agent, message: UserMessage) -> Any:
        try:
            return await original_handle(self, message)
        except Exception as exc:  # noqa: BLE001 - tracker store, lock store or anything else
            # a database error's text carries the events' values: first line only, masked
            logger.error(
                "a turn failed closed (%s: %s); told the user to retry",
                type(exc).__name__,
                _summary(exc),
            )
            if message.output_channel is not None:
                try:
                    await message.output_channel.send_text_message(message.sender_id, SYSTEM_BUSY)
                except Exception as send_error:  # noqa: BLE001
                    logger.error("could not say busy either (%s)", type(send_error).__name__)
            return None

    RemoteAction.run = run_or_apologise
    Agent.handle_message = handle_or_say_busy


def _summary(exc: BaseException) -> str:
    """Return the first line of an error, phone and ID numbers masked, at most 200 characters."""
    lines = str(exc).strip().splitlines()
    return mask_text(lines[0])[:200] if lines else ""


def _bare_tracker_store(store: TrackerStore | None, domain: Domain) -> TrackerStore:
    """Use the configured store itself: its errors reach the turn instead of a memory copy."""
    if store is None:
        return InMemoryTrackerStore(domain)
    store.domain = domain
    return store


def _turn_of(tracker: Any) -> str:
    """Name the current turn by the id Rasa gives every user message ("" if there is none)."""
    latest = getattr(tracker, "latest_message", None)
    return str(getattr(latest, "message_id", None) or "")


def _already_apologised(tracker: Any) -> bool:
    """Tell whether this turn already carries the apology (one per turn is enough)."""
    for event in reversed(list(getattr(tracker, "events", []))):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and event.text == ACTION_UNAVAILABLE:
            return True
    return False
