"""The trained model's graphs answer the same as Rasa's own ways of running them.

Needs the trained model. One agent, its NLU graph run on held-out questions and its
policy graph on real dialogues:
- each once through Rasa's ``DaskGraphRunner.run`` and once through
  ``bot.serving.graph_runner.run``: the same nodes run in the same order, and the parse
  and the prediction are the same;
- the NLU graph once with Rasa's ``Message._combine_features`` and once with
  ``bot.serving.sparse_features``'s: DIET gets the same arrays, so the parse is the
  same to the last bit.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.engine.graph import GraphNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from bot.serving import graph_runner, sparse_features, tuning
from tests.e2e.test_quick_build import heldout_texts
from tests.e2e.test_ted_cache import CONVERSATIONS
from tests.support import MODEL


@pytest.fixture(scope="module")
def agent() -> Iterator[Agent]:
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    tuning.install()
    assert DaskGraphRunner.run is graph_runner.run, "tuning.install() installs the runner"
    yield Agent.load(str(MODEL))


@pytest.fixture
def nodes_run(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the graph nodes called, in order."""
    called: list[str] = []
    call = GraphNode.__call__

    def recorded(self: GraphNode, *inputs: Any) -> Any:
        called.append(self._node_name)
        return call(self, *inputs)

    monkeypatch.setattr(GraphNode, "__call__", recorded)
    return called


def each_way(monkeypatch: pytest.MonkeyPatch, nodes_run: list[str], work: Any) -> list[Any]:
    """Run ``work`` with Rasa's runner and with ours; return both (nodes run, result)."""
    done = []
    for run in (graph_runner.run.__wrapped__, graph_runner.run):  # type: ignore[attr-defined]
        monkeypatch.setattr(DaskGraphRunner, "run", run)
        nodes_run.clear()
        result = work()
        done.append((list(nodes_run), result))
    return done


@pytest.mark.asyncio
async def test_the_nlu_graph_parses_alike(
    agent: Agent, monkeypatch: pytest.MonkeyPatch, nodes_run: list[str]
) -> None:
    processor = agent.processor
    assert processor is not None
    intents = set()
    for text in heldout_texts(60):
        tracker = DialogueStateTracker("graph-nlu", agent.domain.slots)
        message = UserMessage(text, sender_id="graph-nlu")
        parse = functools.partial(processor._parse_message_with_graph, message, tracker)
        rasas, ours = each_way(monkeypatch, nodes_run, parse)
        assert len(rasas[0]) >= 8, "the whole NLU pipeline ran"
        assert ours == rasas, text
        intents.add(rasas[1]["intent"]["name"])
    assert len(intents) >= 10


def test_the_policy_graph_predicts_alike(
    agent: Agent, monkeypatch: pytest.MonkeyPatch, nodes_run: list[str]
) -> None:
    processor = agent.processor
    assert processor is not None
    seen = set()
    for index, events in enumerate(CONVERSATIONS):
        start = [ActionExecuted("action_session_start"), *events]
        tracker = DialogueStateTracker.from_events(f"graph-{index}", start, agent.domain.slots)
        predict = functools.partial(processor._predict_next_with_tracker, tracker)
        rasas, ours = each_way(monkeypatch, nodes_run, predict)
        assert len(rasas[0]) >= 5, "every policy and the ensemble ran"
        assert ours[0] == rasas[0]
        fields = ("probabilities", "policy_name", "events", "optional_events",
                  "is_end_to_end_prediction", "is_no_user_prediction", "action_metadata",
                  "diagnostic_data")  # fmt: skip
        for field in fields:
            assert getattr(ours[1], field) == getattr(rasas[1], field), field
        probabilities = rasas[1].probabilities
        seen.add(probabilities.index(max(probabilities)))
    assert len(seen) > 1, "the dialogues lead to different actions"


@pytest.mark.asyncio
async def test_features_joined_in_one_step_parse_alike(
    agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = Message.__dict__["_combine_features"]
    assert ours.__func__ is not Message._combine_features.__wrapped__, "installed"  # type: ignore[attr-defined]
    joins: list[int] = []
    join = sparse_features.joined

    def counted(matrices: Any) -> Any:
        joins.append(len(matrices))
        return join(matrices)

    monkeypatch.setattr(sparse_features, "joined", counted)
    parses = {}
    for way, combine in (("rasa", staticmethod(ours.__func__.__wrapped__)), ("ours", ours)):
        monkeypatch.setattr(Message, "_combine_features", combine)
        parses[way] = [await agent.parse_message(text) for text in heldout_texts(60)]
    assert joins and min(joins) >= 2, "the model's features were joined in one step"
    assert parses["ours"] == parses["rasa"]
