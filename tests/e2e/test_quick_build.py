"""A model built eagerly on load predicts exactly as one built Rasa's way (bot/serving/tuning.py).

Needs the trained model (as every e2e test). The model is loaded twice in this
process, once through Rasa's own ``RasaModel.load`` and once through the quick
build the served processes use; then the same messages and dialogue states go
through both and every number that comes out is compared.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from rasa.core.agent import Agent
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.tensorflow.models import RasaModel

from bot.serving import tuning
from tests.e2e.test_ted_cache import CONVERSATIONS
from tests.support import MODEL, ROOT


def heldout_texts(limit: int = 150) -> list[str]:
    """Return held-out questions the model never trained on (every topic, every register)."""
    data = yaml.safe_load((ROOT / "tests" / "nlu" / "heldout.yml").read_text(encoding="utf-8"))
    texts = [
        line[2:].strip()
        for item in data["nlu"]
        for line in item["examples"].splitlines()
        if line.startswith("- ")
    ]
    return texts[::3][:limit]


def component(agent: Agent, kind: type) -> Any:
    nodes = agent.processor.graph_runner._instantiated_nodes.values()  # type: ignore[attr-defined]
    found = [node._component for node in nodes if issubclass(node._component_class, kind)]
    assert len(found) == 1
    return found[0]


@pytest.fixture(scope="module")
def agents() -> Iterator[dict[str, Agent]]:
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    tuning.install()
    quick = RasaModel.__dict__["load"]  # the classmethod itself, not bound to RasaModel
    assert hasattr(quick.__func__, "__wrapped__"), "tuning.install() replaced RasaModel.load"
    RasaModel.load = classmethod(quick.__func__.__wrapped__)  # type: ignore[method-assign]
    try:
        rasas = Agent.load(str(MODEL))
    finally:
        RasaModel.load = quick  # type: ignore[method-assign]
    yield {"rasa": rasas, "quick": Agent.load(str(MODEL))}


def test_each_way_builds_its_own_model(agents: dict[str, Agent]) -> None:
    for kind in (DIETClassifier, TEDPolicy):
        rasas, quick = (component(agents[name], kind).model for name in ("rasa", "quick"))
        assert rasas is not quick
        assert rasas.train_function is not None, "Rasa's build traces a training step"
        assert quick.train_function is None, "the quick build traces none"
        assert not quick.run_eagerly, "prediction runs as a graph again"


@pytest.mark.asyncio
async def test_the_same_message_gets_the_same_parse(agents: dict[str, Agent]) -> None:
    texts = heldout_texts()
    assert len(texts) >= 100
    intents = set()
    for text in texts:
        rasas = await agents["rasa"].parse_message(text)
        quick = await agents["quick"].parse_message(text)
        assert quick["intent"] == rasas["intent"], text
        assert quick["intent_ranking"] == rasas["intent_ranking"], text
        assert quick["entities"] == rasas["entities"], text
        intents.add(rasas["intent"]["name"])
    assert len(intents) >= 15, "the messages reach many intents"


def test_ted_gives_the_same_probabilities(agents: dict[str, Agent]) -> None:
    teds = {name: component(agent, TEDPolicy) for name, agent in agents.items()}
    domain = agents["rasa"].domain
    seen = set()
    for index, events in enumerate(CONVERSATIONS):
        start = [ActionExecuted("action_session_start"), *events]
        tracker = DialogueStateTracker.from_events(f"build-{index}", start, domain.slots)
        # TED's own prediction, not the remembered one (a fresh model remembers nothing anyway)
        predict = TEDPolicy.predict_action_probabilities.__wrapped__  # type: ignore[attr-defined]
        rasas = predict(teds["rasa"], tracker, domain)
        quick = predict(teds["quick"], tracker, domain)
        assert quick.probabilities == rasas.probabilities
        seen.add(tuple(rasas.probabilities))
    assert len(seen) > 1, "the states differ"


def test_a_build_that_fails_falls_back_to_rasas_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """TED turns a ValueError while loading into a policy without a model: never let one out."""
    tuning.install()
    storage, metadata = LocalModelStorage.from_model_archive(tmp_path / "storage", MODEL)
    (name, node) = next(
        (name, node)
        for name, node in metadata.predict_schema.nodes.items()
        if issubclass(node.uses, TEDPolicy)
    )
    context = ExecutionContext(metadata.predict_schema, metadata.model_id, node_name=name)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ValueError("no batch today")

    monkeypatch.setattr(tuning, "RasaBatchDataGenerator", broken)
    with caplog.at_level(logging.WARNING, logger=tuning.__name__):
        config = {**TEDPolicy.get_default_config(), **node.config}  # as Rasa's GraphNode does
        ted = TEDPolicy.load(config, storage, node.resource, context)
    assert ted.model is not None, "Rasa's build took over"
    assert ted.model.train_function is not None
    assert "building it Rasa's way" in caplog.text


@pytest.mark.asyncio
async def test_the_graph_called_directly_answers_as_tf_functions_call(
    agents: dict[str, Agent], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``tuning.DirectCall`` skips ``tf.function``'s binding of the inputs, not the graph."""
    direct = RasaModel._rasa_predict
    assert hasattr(direct, "__wrapped__"), "tuning.install() replaced RasaModel._rasa_predict"
    went_direct: list[bool] = []
    call = tuning.DirectCall.__call__

    def counted(self: tuning.DirectCall, batch_in: Any) -> Any:
        outputs = call(self, batch_in)
        went_direct.append(outputs is not None)
        return outputs

    monkeypatch.setattr(tuning.DirectCall, "__call__", counted)
    batches: list[tuple[RasaModel, Any, Any]] = []

    def recorded(self: RasaModel, batch_in: Any) -> Any:
        outputs = direct(self, batch_in)
        batches.append((self, batch_in, outputs))
        return outputs

    monkeypatch.setattr(RasaModel, "_rasa_predict", recorded)
    agent = agents["quick"]
    for text in heldout_texts(60):
        await agent.parse_message(text)
    ted = component(agent, TEDPolicy)
    for index, events in enumerate(CONVERSATIONS):
        start = [ActionExecuted("action_session_start"), *events]
        tracker = DialogueStateTracker.from_events(f"direct-{index}", start, agent.domain.slots)
        TEDPolicy.predict_action_probabilities.__wrapped__(ted, tracker, agent.domain)  # type: ignore[attr-defined]
    models = {type(model).__name__ for model, _batch, _outputs in batches}
    assert models == {"DIET", "TED"}
    assert went_direct.count(True) >= len(batches) - 2, "all but a graph's first call go direct"
    for model, batch, outputs in batches:
        assert _same(outputs, direct.__wrapped__(model, batch)), type(model).__name__
    odd = tuple(array.astype("float64") for array in batches[-1][1])  # not the signature's dtypes
    assert tuning.DirectCall(batches[-1][0]._tf_predict_step)(odd) is None


def _same(left: Any, right: Any) -> bool:
    """Tell whether two nests of outputs hold the same keys and equal arrays, bit for bit."""
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list | tuple):
        return len(left) == len(right) and all(
            _same(a, b) for a, b in zip(left, right, strict=True)
        )
    return bool(np.array_equal(np.asarray(left), np.asarray(right)))
