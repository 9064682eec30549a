"""A long conversation goes on in a new session only at a quiet point (long_sessions.py).

The trackers are built on the project's own domain; the whole path through a
running Rasa with the trained model is tests/e2e/test_long_sessions.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.common.sessions import is_continued
from bot.serving.long_sessions import (
    ContinueSession,
    last_bot_action,
    max_turns,
    should_continue,
    user_turns_in_session,
)

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 5


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def turns(count: int, answer: str = "action_answer_policy") -> list[Event]:
    """``count`` user turns, each answered by ``answer`` and back to listening."""
    events: list[Event] = []
    for index in range(count):
        events += [
            UserUttered(f"问题{index}", {"name": "ask_housing", "confidence": 0.9}),
            ActionExecuted(answer),
            ActionExecuted("action_listen"),
        ]
    return events


def tracker(domain: Domain, *events: Event) -> DialogueStateTracker:
    start: list[Event] = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
    ]
    return DialogueStateTracker.from_events("u1", [*start, *events], domain.slots)


def test_a_session_goes_on_once_it_holds_the_limit_of_user_messages(domain: Domain) -> None:
    assert not should_continue(tracker(domain, *turns(LIMIT - 1)), LIMIT)
    assert should_continue(tracker(domain, *turns(LIMIT)), LIMIT)
    assert not should_continue(tracker(domain, *turns(LIMIT * 3)), 0)  # 0: no limit


def test_only_the_current_session_counts(domain: Domain) -> None:
    events = [*turns(LIMIT), SessionStarted(), ActionExecuted("action_listen"), *turns(2)]
    current = tracker(domain, *events)
    assert user_turns_in_session(current) == 2
    assert not should_continue(current, LIMIT)


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        ([ConversationPaused()], "paused for an agent"),
        ([ActiveLoop("housing_form")], "a form is open"),
        ([SlotSet("phone", "13812340000")], "a submission waits for 重试"),
        ([*turns(1, "action_offer_handoff")], "the bot just offered a person"),
        ([*turns(1, "action_handle_fallback")], "the bot just asked what was meant"),
    ],
)
def test_never_in_the_middle_of_something(domain: Domain, extra: list[Event], why: str) -> None:
    busy = tracker(domain, *turns(LIMIT), *extra)
    assert not should_continue(busy, LIMIT), why


def test_a_later_quiet_turn_starts_the_session_after_a_busy_one(domain: Domain) -> None:
    offered = tracker(domain, *turns(LIMIT), *turns(1, "action_offer_handoff"))
    assert last_bot_action(offered) == "action_offer_handoff"
    answered = tracker(
        domain,
        *turns(LIMIT),
        *turns(1, "action_offer_handoff"),
        *turns(1, "action_decline_handoff"),
    )
    assert should_continue(answered, LIMIT)


def test_the_new_session_carries_every_slot_and_is_marked_continued(domain: Domain) -> None:
    long = tracker(
        domain,
        *turns(LIMIT),
        SlotSet("last_request_number", "HS20261129000123"),
        SlotSet("district", "渝北区"),
    )
    before = long.current_slot_values()
    events = asyncio.run(
        ContinueSession().run(
            CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}), long, domain
        )
    )
    started = events[0]
    assert isinstance(started, SessionStarted) and is_continued(started.as_dict())
    assert isinstance(events[-1], ActionExecuted) and events[-1].action_name == "action_listen"
    assert {e.key for e in events if isinstance(e, SlotSet)} >= {"last_request_number", "district"}

    long.update_with_events(events, domain)
    assert long.current_slot_values() == before
    assert user_turns_in_session(long) == 0
    assert not is_continued(SessionStarted().as_dict())


def test_the_limit_is_read_from_the_environment() -> None:
    assert max_turns({}) == 40
    assert max_turns({"SESSION_MAX_TURNS": "0"}) == 0
    assert max_turns({"SESSION_MAX_TURNS": " 60 "}) == 60
    for bad in ("3", "-1", "many"):
        with pytest.raises(ValueError):
            max_turns({"SESSION_MAX_TURNS": bad})
