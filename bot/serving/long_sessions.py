"""A long conversation goes on in a new session, so turn 200 costs what turn 5 does (issue 13, M3).

Every turn, Rasa reads the current session back from the tracker store,
replays it, sends it whole to the action server and has each policy compute
its states over all of it, so a turn's cost grows with the session (2–4× by
turn 200, docs/performance.md). Rasa starts a new session only after
``session_expiration_time`` idle minutes, which a lively conversation never
reaches.

``install`` makes Rasa's ``MessageProcessor`` start a new session, before
the turn is handled, once the current one holds ``SESSION_MAX_TURNS`` user
messages (default 40; ``0`` turns this off). It is what Rasa's own session
start does, with every slot carried over — consent, a request number and its
proof, the district — so nothing is asked again and nothing is said. The
stored conversation keeps every event (the console and ``GET …/tracker``
still show all of it); only what Rasa reads back each turn gets shorter.

It happens only at a quiet point, never in the middle of something:

- not while the conversation is paused for an agent (a new session would
  end the pause), nor with a form open;
- not while a submission waits for 「重试」 (its personal slots still set);
- not right after the bot asked something outside a form: the handoff offer
  (「需要转人工吗」, answered by a rule that needs the offer in the session) and
  the fallback's clarification.

Otherwise the turn waits and the next quiet one starts the session. The new
session's ``session_started`` event says ``continued`` in its metadata, so
analytics counts one conversation, not two.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from rasa.core.actions.action import ActionSessionStart
from rasa.core.channels.channel import OutputChannel
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.common.sessions import CONTINUED
from bot.common.tracker_pii import holds_raw_details

logger = logging.getLogger(__name__)

DEFAULT_MAX_TURNS = 40
#: bot actions that ask the user something outside a form; the answer needs them in the session
AWAITS_ANSWER = frozenset({"action_offer_handoff", "action_handle_fallback"})
_installed: list[bool] = []


def max_turns(env: Mapping[str, str] | None = None) -> int:
    """Return ``SESSION_MAX_TURNS`` (user messages per session; 0 = no limit)."""
    value = (env if env is not None else os.environ).get("SESSION_MAX_TURNS", "").strip()
    try:
        turns = int(value) if value else DEFAULT_MAX_TURNS
    except ValueError:
        raise ValueError("SESSION_MAX_TURNS must be a whole number") from None
    if turns < 0 or 0 < turns < 5:
        # under 5 a session could not hold the last turns the policies look at (max_history 5)
        raise ValueError("SESSION_MAX_TURNS must be 0 (no limit) or at least 5")
    return turns


def user_turns_in_session(tracker: DialogueStateTracker) -> int:
    """Count the user messages since the current session (or conversation) started."""
    count = 0
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted | Restarted):
            break
        if isinstance(event, UserUttered):
            count += 1
    return count


def last_bot_action(tracker: DialogueStateTracker) -> str | None:
    """Return the last action the bot ran before it began listening."""
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted | Restarted | UserUttered):
            return None
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            return event.action_name
    return None


def should_continue(tracker: DialogueStateTracker, limit: int) -> bool:
    """Tell whether this turn should start a new session that carries the conversation on."""
    if limit <= 0 or user_turns_in_session(tracker) < limit:
        return False
    if tracker.is_paused() or tracker.active_loop_name:
        return False
    if holds_raw_details(None, tracker.current_slot_values()):
        return False
    return last_bot_action(tracker) not in AWAITS_ANSWER


class ContinueSession(ActionSessionStart):
    """Rasa's session start with every slot carried over and the start marked ``continued``."""

    async def run(
        self,
        output_channel: OutputChannel,
        nlg: NaturalLanguageGenerator,
        tracker: DialogueStateTracker,
        domain: Domain,
    ) -> list[Event]:
        """Start the session, set the slots again (as they are now), and listen."""
        carried: list[Event] = [
            SlotSet(name, slot.value)
            for name, slot in tracker.slots.items()
            if slot.value != slot.initial_value
        ]
        return [
            SessionStarted(metadata={CONTINUED: True}),
            *carried,
            ActionExecuted(ACTION_LISTEN_NAME),
        ]


def install(limit: int | None = None) -> None:
    """Make Rasa's message processor start a new session in a long conversation (idempotent)."""
    if _installed:
        return
    _installed.append(True)
    turns = max_turns() if limit is None else limit
    if turns <= 0:
        return
    original = MessageProcessor._update_tracker_session

    async def update_tracker_session(
        self: MessageProcessor,
        tracker: DialogueStateTracker,
        output_channel: OutputChannel,
        metadata: dict | None = None,
    ) -> None:
        if should_continue(tracker, turns) and not self._has_session_expired(tracker):
            logger.debug("a long session goes on in a new one")
            await self._run_action(
                action=ContinueSession(),
                tracker=tracker,
                output_channel=output_channel,
                nlg=self.nlg,
                prediction=PolicyPrediction.for_action_name(self.domain, ACTION_SESSION_START_NAME),
            )
            return
        await original(self, tracker, output_channel, metadata)

    MessageProcessor._update_tracker_session = update_tracker_session
