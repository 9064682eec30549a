"""Run Rasa's prediction graphs in dask's order without dask's scheduler (issue 13, row 30).

Every turn runs the NLU graph once and the policy graph once per predicted action,
each through ``DaskGraphRunner.run``: a minimal schema worked out for the targets,
a dask graph built from it, and ``dask.get``, whose synchronous scheduler orders
the tasks (``dask.order``), keeps its ready queue, locks and callbacks, and hands
each node its parents' outputs. The nodes are a dozen plain function calls; the
scheduling around them was 9–11 % of the Rasa process's samples under load, more than
any one component but DIET.

The graph's shape is the same for every run with the same targets and input names,
so the order is taken from dask itself once per shape (a run of stand-in tasks
through ``dask.get`` that records what it executes) and every later run calls the
nodes in that order with dask's own argument rules: a need that names a node or an
input gets its ``(name, output)`` pair, any other need is passed as written (the
node then says what is missing, as it does under dask). A node's exception reaches
the caller unchanged, a ``RuntimeError`` wrapped in ``GraphRunError`` as Rasa's
runner wraps it, and an input named like a node is refused with Rasa's error. Why
not a library: the scheduler *is* the library here, and dask has no cheaper entry
point that skips its per-run ordering and bookkeeping.
"""

from __future__ import annotations

import logging
from typing import Any

import dask
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner

logger = logging.getLogger(__name__)

#: the nodes of one graph shape (targets, input names) in the order dask runs them, with needs
Plan = tuple[tuple[str, tuple[str, ...]], ...]


def execution_order(schema: GraphSchema, targets: list[str], inputs: list[str]) -> list[str]:
    """Return the nodes of ``schema`` in the order ``dask.get`` executes them for ``targets``."""
    ran: list[str] = []

    def stand_in(name: str) -> Any:
        def run(*_parents: Any) -> tuple[str, None]:
            ran.append(name)
            return name, None

        return run

    graph: dict[str, Any] = {
        name: (stand_in(name), *node.needs.values()) for name, node in schema.nodes.items()
    }
    graph.update({name: (name, None) for name in inputs})
    dask.get(graph, targets)
    return ran


def _plan(runner: DaskGraphRunner, targets: list[str], inputs: list[str]) -> Plan:
    plans: dict[tuple[tuple[str, ...], tuple[str, ...]], Plan] = runner.__dict__.setdefault(
        "_yucai_plans", {}
    )
    key = (tuple(targets), tuple(inputs))
    if key not in plans:
        schema = runner._graph_schema.minimal_graph_schema(targets)
        order = execution_order(schema, targets, inputs)
        plans[key] = tuple((name, tuple(schema.nodes[name].needs.values())) for name in order)
    return plans[key]


def run(
    self: DaskGraphRunner,
    inputs: dict[str, Any] | None = None,
    targets: list[str] | None = None,
) -> dict[str, Any]:
    """``DaskGraphRunner.run``: the same nodes, in dask's order, with the same arguments."""
    run_targets = targets if targets else self._graph_schema.target_names
    plan = _plan(self, list(run_targets), list(inputs or {}))
    outputs: dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and (value in outputs or any(node == value for node, _ in plan)):
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure "
                f"that none of the input names passed to the `run` method are the "
                f"same as node names in the graph schema."
            )
        outputs[name] = (name, value)
    if logger.isEnabledFor(logging.DEBUG):  # Rasa formats the inputs even when not logging
        logger.debug(
            f"Running graph with inputs: {inputs}, targets: {targets} "
            f"and {self._execution_context}."
        )
    nodes = self._instantiated_nodes
    try:
        for name, needs in plan:
            outputs[name] = nodes[name](*(outputs.get(need, need) for need in needs))
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e
    return dict(outputs[target] for target in run_targets)


def install() -> None:
    """Run every ``DaskGraphRunner`` (the loaded model's prediction graphs) this way."""
    if DaskGraphRunner.run is not run:
        run.__wrapped__ = DaskGraphRunner.run  # type: ignore[attr-defined]
        DaskGraphRunner.run = run
