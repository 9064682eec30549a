"""What the Rasa side counts from a turn's events (bot/serving/metrics.py; README: Metrics)."""

from __future__ import annotations

from prometheus_client import REGISTRY
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import ActionExecuted, ConversationPaused, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.serving import metrics


def tracker_of(events: list[Event]) -> DialogueStateTracker:
    """A conversation on the REST channel with ``events`` after an earlier turn."""
    earlier: list[Event] = [
        ActionExecuted("action_listen"),
        UserUttered("转人工", {"name": "request_human"}, input_channel="rest"),
        ActionExecuted("action_offer_handoff"),
        ActionExecuted("action_listen"),
    ]
    return DialogueStateTracker.from_events("metrics-user", [*earlier, *events])


def count(name: str, **labels: str) -> float:
    """Read one series (0 before its first sample)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_fallbacks_and_a_handoff_offer_of_this_turn_are_counted() -> None:
    nlu = ("yucai_fallbacks_total", {"channel": "rest", "kind": "nlu_fallback"})
    core = ("yucai_fallbacks_total", {"channel": "rest", "kind": "action_default_fallback"})
    offered = ("yucai_handoffs_offered_total", {"channel": "rest"})
    before = [count(name, **labels) for name, labels in (nlu, core, offered)]
    metrics.record_turn(
        tracker_of(
            [
                UserUttered("嗯嗯啊啊", {"name": "nlu_fallback"}, input_channel="rest"),
                ActionExecuted("action_default_fallback"),
                ActionExecuted("action_offer_handoff"),
                ActionExecuted("action_listen"),
            ]
        )
    )
    after = [count(name, **labels) for name, labels in (nlu, core, offered)]
    assert after == [before[0] + 1, before[1] + 1, before[2] + 1]


def test_an_ordinary_turn_counts_nothing_of_the_turn_before() -> None:
    offered = ("yucai_handoffs_offered_total", {"channel": "rest"})
    before = count(offered[0], **offered[1])
    metrics.record_turn(
        tracker_of(
            [
                UserUttered("你好", {"name": "greet"}, input_channel="rest"),
                ActionExecuted("utter_greet"),
                ActionExecuted("action_listen"),
            ]
        )
    )
    assert count(offered[0], **offered[1]) == before


def test_what_a_user_says_to_a_person_is_not_the_bots_fallback() -> None:
    nlu = ("yucai_fallbacks_total", {"channel": "rest", "kind": "nlu_fallback"})
    before = count(nlu[0], **nlu[1])
    metrics.record_turn(
        tracker_of(
            [
                ConversationPaused(),
                UserUttered("在吗在吗", {"name": "nlu_fallback"}, input_channel="rest"),
            ]
        )
    )
    assert count(nlu[0], **nlu[1]) == before


def test_the_wrapped_rasa_function_still_exists() -> None:
    # Rasa 3.6.21's private prediction loop is what install() wraps (a pinned version)
    assert callable(MessageProcessor._run_prediction_loop)
