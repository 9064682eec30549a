"""What the three processes share about their Prometheus metrics: the token, the page, workers.

Each process (backend, action server, Rasa) answers ``GET /metrics`` on its own
port, only to a caller presenting ``Authorization: Bearer $METRICS_TOKEN``
(README: *Metrics*). The exposition itself is prometheus-client's. A process
with several workers on one port (the backend's uvicorn workers) uses the
library's multiprocess mode: each worker writes its samples to files in
``PROMETHEUS_MULTIPROC_DIR`` and whichever worker answers the scrape reads
them all. Pure: no Rasa, FastAPI or SQLAlchemy here.
"""

from __future__ import annotations

import atexit
import hmac
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

METRICS_PATH = "/metrics"
TOKEN_VARIABLE = "METRICS_TOKEN"
MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
#: seconds; a chat turn or an action is usually well under a second, 4 s is the action timeout
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


def metrics_token(environ: dict[str, str] | None = None) -> str:
    """Return the configured scrape token ("" when unset: the page is then off)."""
    return (environ if environ is not None else os.environ).get(TOKEN_VARIABLE, "").strip()


def scrape_status(expected: str, authorization: str | None) -> int:
    """Say how to answer a scrape: 200 to the token, 401 to anyone else, 404 if metrics are off.

    The comparison takes constant time, as for every other token of the project.
    """
    if not expected:
        return 404
    presented = (authorization or "").encode()
    return 200 if hmac.compare_digest(presented, f"Bearer {expected}".encode()) else 401


class _Joined:
    """Several collectors read as one (the registry of this scrape)."""

    def __init__(self, parts: Iterable[Collector]) -> None:
        self.parts = list(parts)

    def collect(self) -> Iterator[Metric]:
        """Yield every part's metrics in order."""
        for part in self.parts:
            yield from part.collect()


def exposition(extra: Iterable[Collector] = ()) -> bytes:
    """Render this process's metrics (all workers' in multiprocess mode), plus ``extra``."""
    if os.environ.get(MULTIPROC_VARIABLE):
        base = CollectorRegistry()
        MultiProcessCollector(base)
        return generate_latest(_Joined([base, *extra]))
    return generate_latest(_Joined([REGISTRY, *extra]))


def answer(expected: str, authorization: str | None) -> tuple[int, bytes, str]:
    """Return the status, body and content type of a scrape of a Sanic process (Rasa, actions)."""
    status = scrape_status(expected, authorization)
    if status == 200:
        return 200, exposition(), CONTENT_TYPE
    error = "unauthorized" if status == 401 else "not found"
    return status, json.dumps({"error": error}).encode(), "application/json"


def prepare_multiprocess(workers: int) -> Path | None:
    """Give several workers of one process a fresh, shared directory for their samples.

    Called in the parent before the workers start (prometheus-client reads the
    variable when a worker imports it). An operator's ``PROMETHEUS_MULTIPROC_DIR``
    is used and emptied of the previous run's files, as the library asks;
    without one a new temporary directory is made. One worker needs nothing.
    """
    configured = os.environ.get(MULTIPROC_VARIABLE, "").strip()
    if workers <= 1 and not configured:
        return None
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
    else:
        path = Path(tempfile.mkdtemp(prefix="yucai-metrics-"))
        atexit.register(shutil.rmtree, path, True)
    for stale in path.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_VARIABLE] = str(path)
    return path
