"""Rasa's graphs run in dask's order, with dask's arguments, without its scheduler (graph_runner).

Graphs of small components are run through Rasa's own ``DaskGraphRunner.run`` and
through ``bot.serving.graph_runner.run``; each component writes down that it ran and
with what, so the order, the arguments and the results can be compared, and the
errors too. The trained model's graphs are compared in tests/e2e/test_served_graphs.py.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import RasaException

from bot.serving import graph_runner

RASA_RUN = getattr(DaskGraphRunner.run, "__wrapped__", DaskGraphRunner.run)
#: what every component of the graph under test did, in order: (node, its arguments)
CALLS: list[tuple[str, dict[str, Any]]] = []


class Step(GraphComponent):
    """Write down the call; return the node's name with what it got (or raise, if told to)."""

    def __init__(self, name: str, config: dict[str, Any]) -> None:
        self.name, self.config = name, config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Step:
        return cls(execution_context.node_name or "", config)

    def run(self, **inputs: Any) -> Any:
        CALLS.append((self.name, inputs))
        if (error := self.config.get("raise")) is not None:
            raise error("broken")
        return (self.name, sorted((k, repr(v)) for k, v in inputs.items()))


def schema(needs: dict[str, dict[str, str]], **configs: dict[str, Any]) -> GraphSchema:
    return GraphSchema(
        {
            name: SchemaNode(
                needs=parents,
                uses=Step,
                constructor_name="create",
                fn="run",
                config=configs.get(name, {}),
                eager=True,
            )  # fmt: skip
            for name, parents in needs.items()
        }
    )


def runner(graph: GraphSchema, tmp_path: Path) -> DaskGraphRunner:
    storage = LocalModelStorage(tmp_path / "storage")
    return DaskGraphRunner(graph, storage, ExecutionContext(graph, "model"))


def both_ways(
    graph: GraphSchema, tmp_path: Path, inputs: dict[str, Any] | None, targets: list[str] | None
) -> dict[str, Any]:
    """Run twice each way; return what ran and what came out, which must be the same."""
    seen: dict[str, Any] = {}
    for way, run in (("rasa", RASA_RUN), ("ours", graph_runner.run)):
        graph_run = runner(graph, tmp_path / way)
        for attempt in range(2):  # the second run of a shape takes the remembered order
            CALLS.clear()
            result = run(graph_run, inputs, targets)
            seen[f"{way}{attempt}"] = (list(CALLS), result)
    assert seen["ours0"] == seen["ours1"] == seen["rasa0"] == seen["rasa1"]
    return seen["rasa0"]


#: the shape of Rasa's NLU graph: a chain from an input, a side branch joining again
NLU_LIKE = {
    "convert": {"messages": "__message__"},
    "tokenize": {"messages": "convert"},
    "count": {"messages": "tokenize"},
    "lexical": {"messages": "count"},
    "regex": {"messages": "tokenize"},
    "diet": {"messages": "lexical", "regexes": "regex"},
    "unused": {"messages": "convert"},
}
#: the shape of Rasa's policy graph: several policies on one tracker, then the ensemble
CORE_LIKE = {
    "domain": {},
    "tracker": {"tracker": "__tracker__"},
    "memo": {"tracker": "tracker", "domain": "domain"},
    "rules": {"tracker": "tracker", "domain": "domain"},
    "ted": {"tracker": "tracker", "domain": "domain"},
    "ensemble": {"a": "memo", "b": "rules", "c": "ted", "domain": "domain"},
}


def test_the_nodes_run_in_dasks_order_with_the_same_arguments(tmp_path: Path) -> None:
    calls, result = both_ways(schema(NLU_LIKE), tmp_path, {"__message__": ["hi"]}, ["diet"])
    ran = [name for name, _ in calls]
    assert sorted(ran) == sorted(set(NLU_LIKE) - {"unused"}), "a node no target needs does not run"
    assert set(result) == {"diet"}
    calls, result = both_ways(schema(CORE_LIKE), tmp_path, {"__tracker__": "t"}, ["ensemble"])
    assert len(calls) == 6 and set(result) == {"ensemble"}


def test_random_graphs_run_alike(tmp_path: Path) -> None:
    rng = random.Random(30)
    for index in range(25):
        names = [f"n{i}" for i in range(rng.randint(3, 14))]
        needs: dict[str, dict[str, str]] = {}
        for position, name in enumerate(names):
            earlier = names[:position] + ["__in__"]
            parents = rng.sample(earlier, k=min(len(earlier), rng.randint(0, 3)))
            needs[name] = {f"p{k}": parent for k, parent in enumerate(parents)}
        targets = rng.sample(names, k=rng.randint(1, 2))
        both_ways(schema(needs), tmp_path / str(index), {"__in__": index}, targets)
        both_ways(schema(needs), tmp_path / f"{index}-all", {"__in__": index}, None)


def test_a_need_nobody_provides_is_reported_by_the_node_as_under_dask(tmp_path: Path) -> None:
    graph = schema({"a": {"x": "__missing__"}})
    for run in (RASA_RUN, graph_runner.run):
        with pytest.raises(GraphRunError, match="Missing input to run node 'a'"):
            run(runner(graph, tmp_path / run.__module__), {}, ["a"])


class Stuck(RasaException, RuntimeError):
    """A Rasa error that is also a RuntimeError: the node lets it through, the runner wraps it."""


@pytest.mark.parametrize(
    ("error", "raised", "cause"),
    [
        (ValueError, GraphComponentException, ValueError),
        (RuntimeError, GraphComponentException, RuntimeError),
        (KeyError, GraphComponentException, KeyError),
        (Stuck, GraphRunError, Stuck),
    ],
)
def test_a_failing_node_fails_the_run_the_same_way(
    tmp_path: Path, error: type[Exception], raised: type, cause: type
) -> None:
    graph = schema({"a": {"x": "__in__"}, "b": {"x": "a"}}, a={"raise": error})
    for run in (RASA_RUN, graph_runner.run):
        CALLS.clear()
        with pytest.raises(raised) as caught:
            run(runner(graph, tmp_path / run.__module__), {"__in__": 1}, ["b"])
        assert type(caught.value) is raised
        assert type(caught.value.__cause__) is cause
        assert [name for name, _ in CALLS] == ["a"], "nothing after the failing node runs"


def test_an_input_named_like_a_node_is_refused(tmp_path: Path) -> None:
    graph = schema(CORE_LIKE)
    for run in (RASA_RUN, graph_runner.run):
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            run(runner(graph, tmp_path / run.__module__), {"__tracker__": "memo"}, ["ensemble"])


def test_installed_on_rasas_runner() -> None:
    graph_runner.install()
    graph_runner.install()  # twice: still one layer over Rasa's
    assert DaskGraphRunner.run is graph_runner.run
    assert DaskGraphRunner.run.__wrapped__ is RASA_RUN  # type: ignore[attr-defined]
