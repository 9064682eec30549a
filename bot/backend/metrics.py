"""The backend's Prometheus metrics and its ``GET /metrics`` (README: *Metrics*).

HTTP requests by route template, method and status come from
prometheus-fastapi-instrumentator; the domain counters below are incremented
where the thing happens (a request or handoff committed, a claim, a 5xx). The
handoff queue itself (how many wait, the oldest wait) is read from the
database at scrape time, so it is right whichever worker or pod answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator import metrics as http_metrics
from sqlalchemy import func, select

from bot.backend.errors import error_body
from bot.backend.handoffs.models import Handoff
from bot.backend.requests.lifecycle import CHANNELS
from bot.common import metrics as common

logger = logging.getLogger(__name__)

REQUESTS_CREATED = Counter(
    "yucai_requests_created_total",
    "Service requests created (idempotent replays not counted), by kind and channel.",
    ["kind", "channel"],
)
HANDOFFS_QUEUED = Counter(
    "yucai_handoffs_queued_total", "Conversations queued for a person.", ["team", "channel"]
)
HANDOFFS_CLAIMED = Counter(
    "yucai_handoffs_claimed_total", "Queued conversations an agent took.", ["team"]
)
HANDOFFS_TIMED_OUT = Counter(
    "yucai_handoffs_timed_out_total",
    "Queued conversations nobody took in time, given back to the bot.",
    ["team"],
)
HANDOFF_WAIT = Histogram(
    "yucai_handoff_wait_seconds",
    "How long a claimed conversation waited in the queue.",
    ["team"],
    buckets=(5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600),
)
BACKEND_ERRORS = Counter(
    "yucai_backend_errors_total",
    "Server errors the backend answered, by route template: internal_error (500) or "
    "service_unavailable (503: the database is away).",
    ["code", "handler"],
)


def request_created(kind: str, channel: str) -> None:
    """Count a service request that was committed."""
    REQUESTS_CREATED.labels(kind=kind, channel=_channel(channel)).inc()


def handoff_queued(team: str, channel: str) -> None:
    """Count a conversation put in the queue."""
    HANDOFFS_QUEUED.labels(team=team, channel=_channel(channel)).inc()


def handoff_claimed(team: str, queued_at: datetime, claimed_at: datetime) -> None:
    """Count a claim and how long the user waited for it."""
    HANDOFFS_CLAIMED.labels(team=team).inc()
    HANDOFF_WAIT.labels(team=team).observe(max(0.0, (claimed_at - queued_at).total_seconds()))


def handoff_timed_out(team: str) -> None:
    """Count a conversation the sweeper gave back to the bot."""
    HANDOFFS_TIMED_OUT.labels(team=team).inc()


def count_server_error(info: http_metrics.Info) -> None:
    """Count a 5xx by its code (errors.py answers 503 only when the database is away)."""
    status = info.response.status_code if info.response is not None else 500
    if status >= 500:
        code = "service_unavailable" if status == 503 else "internal_error"
        BACKEND_ERRORS.labels(code=code, handler=info.modified_handler).inc()


def _channel(channel: str) -> str:
    """Keep the label's values few: a channel nobody knows is ``other``."""
    return channel if channel in CHANNELS else "other"


class HandoffQueueCollector:
    """Read the waiting queue per team from the database at scrape time."""

    def __init__(self, session_factory: Callable[[], Any], clock: Callable[[], datetime]) -> None:
        self.session_factory = session_factory
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        """Yield the queue length and the oldest wait per team (nothing if the database fails)."""
        try:
            with self.session_factory() as session:
                rows = session.execute(
                    select(Handoff.team, func.count(), func.min(Handoff.created_at))
                    .where(Handoff.status == "waiting")
                    .group_by(Handoff.team)
                ).all()
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail on the database
            logger.warning("handoff queue not measured: %s", type(exc).__name__)
            return
        waiting = GaugeMetricFamily(
            "yucai_handoff_queue_waiting", "Conversations waiting for a person.", labels=["team"]
        )
        oldest = GaugeMetricFamily(
            "yucai_handoff_queue_oldest_wait_seconds",
            "How long the longest-waiting conversation has waited (0: nobody waits).",
            labels=["team"],
        )
        now = self.clock()
        for team, count, first in rows:
            waiting.add_metric([team], float(count))
            oldest.add_metric([team], max(0.0, (now - _aware(first, now)).total_seconds()))
        yield waiting
        yield oldest


def _aware(moment: datetime, like: datetime) -> datetime:
    """Compare a database time with the clock even if one of them lost its zone (SQLite)."""
    if moment.tzinfo is None and like.tzinfo is not None:
        return moment.replace(tzinfo=like.tzinfo)
    return moment


@lru_cache(maxsize=1)
def _http_instrumentations() -> tuple[Callable[[http_metrics.Info], None], ...]:
    """Create the HTTP metrics once per process (every app of a test run shares them)."""
    made = (
        http_metrics.requests(metric_namespace="yucai", metric_subsystem="backend"),
        http_metrics.latency(
            metric_namespace="yucai",
            metric_subsystem="backend",
            should_include_status=True,
            buckets=common.LATENCY_BUCKETS,
        ),
    )
    return (*(one for one in made if one is not None), count_server_error)


def install(app: FastAPI, metrics_token: str) -> None:
    """Instrument ``app`` and serve ``GET /metrics`` to the scrape token only (404 without one)."""
    instrumentator = Instrumentator(
        should_group_status_codes=False,
        excluded_handlers=[common.METRICS_PATH],
    )
    for instrumentation in _http_instrumentations():
        instrumentator.add(instrumentation)
    instrumentator.instrument(app)

    @app.get(common.METRICS_PATH, include_in_schema=False)
    def scrape(request: Request) -> Response:
        status = common.scrape_status(metrics_token, request.headers.get("authorization"))
        if status == 404:
            return JSONResponse(error_body("not_found", "请求的地址不存在。"), status_code=404)
        if status == 401:
            return JSONResponse(
                error_body("unauthorized", "身份验证失败，请提供有效的访问令牌。"),
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        queue = HandoffQueueCollector(
            getattr(request.app.state, "session_factory", None) or _no_database,
            request.app.state.clock,
        )
        return Response(common.exposition([queue]), media_type=common.CONTENT_TYPE)


def _no_database() -> Any:
    raise RuntimeError("the database is not open yet")
