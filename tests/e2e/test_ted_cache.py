"""TED's remembered predictions are the predictions it would make (bot/serving/tuning.py).

Needs the trained model (as every e2e test): the model is loaded in this
process, dialogue states are fed through Rasa's own prediction graph, and what
TED returns with the cache is compared with what it computes without it.
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.serving import tuning
from tests.support import MODEL


def said(intent: str, *entities: str) -> UserUttered:
    found = [{"entity": name, "value": "x", "start": 0, "end": 1} for name in entities]
    return UserUttered(f"({intent})", {"name": intent, "confidence": 0.95}, found)


def listen() -> ActionExecuted:
    return ActionExecuted("action_listen")


CONVERSATIONS: list[list[Event]] = [
    [listen(), said("greet")],
    [listen(), said("greet"), ActionExecuted("utter_greet"), listen()],
    [listen(), said("ask_housing_policy")],
    [listen(), said("ask_housing_policy"), ActionExecuted("action_answer"), listen()],
    [listen(), said("request_housing", "district")],
    [
        listen(),
        said("request_housing"),
        ActionExecuted("housing_form"),
        ActiveLoop("housing_form"),
        SlotSet("requested_slot", "privacy_consent"),
        listen(),
        said("ask_hospital_policy"),
    ],
    [listen(), said("check_status"), ActionExecuted("status_form"), listen(), said("thanks")],
    [listen(), said("human_handoff")],
    [listen(), said("out_of_scope"), ActionExecuted("action_handle_fallback"), listen()],
    [listen(), said("ask_finance"), ActionExecuted("action_answer"), listen(), said("affirm")],
]


@pytest.fixture(scope="module")
def agent() -> Agent:
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    tuning.install()
    return Agent.load(str(MODEL))


def ted_nodes(agent: Agent) -> list[Any]:
    """Return the graph nodes that run TED (Rasa took its method when the model was loaded)."""
    nodes = agent.processor.graph_runner._instantiated_nodes.values()  # type: ignore[attr-defined]
    found = [node for node in nodes if issubclass(node._component_class, TEDPolicy)]
    assert len(found) == 1
    return found


def record(
    agent: Agent, monkeypatch: pytest.MonkeyPatch, implementation: Any
) -> list[dict[str, Any]]:
    """Make TED predict with ``implementation``; record what it returns and if TensorFlow ran."""
    calls: list[dict[str, Any]] = []

    def recording(self: TEDPolicy, *args: Any, **kwargs: Any) -> Any:
        inferences: list[int] = []
        run_inference = self.model.run_inference

        def counted(*a: Any, **k: Any) -> Any:
            inferences.append(1)
            return run_inference(*a, **k)

        self.model.run_inference = counted
        try:
            prediction = implementation(self, *args, **kwargs)
        finally:
            del self.model.run_inference
        calls.append({"probabilities": list(prediction.probabilities), "ran": bool(inferences)})
        return prediction

    for node in ted_nodes(agent):
        monkeypatch.setattr(node, "_fn", recording)
    return calls


def predict_all(agent: Agent) -> None:
    """Let Rasa predict the next action for each conversation (every policy runs)."""
    for index, events in enumerate(CONVERSATIONS):
        start = [ActionExecuted("action_session_start"), *events]
        tracker = DialogueStateTracker.from_events(f"ted-{index}", start, agent.domain.slots)
        agent.processor._predict_next_with_tracker(tracker)


def test_a_remembered_prediction_is_the_one_ted_computes(
    agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = TEDPolicy.predict_action_probabilities
    plain = cached.__wrapped__  # TED's own, as Rasa ships it
    assert all(node._fn is cached for node in ted_nodes(agent)), "the served model uses the cache"

    fresh = record(agent, monkeypatch, plain)
    predict_all(agent)
    assert len(fresh) == len(CONVERSATIONS) and all(call["ran"] for call in fresh)

    remembered = record(agent, monkeypatch, cached)
    predict_all(agent)  # computed and remembered
    predict_all(agent)  # remembered
    first, second = remembered[: len(CONVERSATIONS)], remembered[len(CONVERSATIONS) :]
    assert not any(call["ran"] for call in second), "a state seen before ran TensorFlow again"
    for computed, then, again in zip(fresh, first, second, strict=True):
        assert then["probabilities"] == computed["probabilities"]
        assert again["probabilities"] == computed["probabilities"]
    assert len({tuple(call["probabilities"]) for call in fresh}) > 1, "the states differ"
