"""The action server's Prometheus metrics and its ``GET /metrics`` (README: *Metrics*).

Every call of ``/webhook`` is timed by Sanic middleware around rasa-sdk's own
handler, labelled with the action's name and how it ended; the backend client
counts its failed calls and the requests the backend accepted. Nothing here
runs at import but the metric definitions (prometheus-client registers them).
"""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.common import metrics as common

ACTIONS = Counter(
    "yucai_actions_total",
    "Custom actions run, by name and outcome (ok, rejected: a form's slot not filled, "
    "not_found, error).",
    ["action", "outcome"],
)
ACTION_SECONDS = Histogram(
    "yucai_action_duration_seconds",
    "How long one custom action took, backend calls included.",
    ["action"],
    buckets=common.LATENCY_BUCKETS,
)
BACKEND_ERRORS = Counter(
    "yucai_action_backend_errors_total",
    "Calls from the actions to the backend that failed (unreachable, server_error, bad_answer).",
    ["reason"],
)
REQUESTS_SUBMITTED = Counter(
    "yucai_action_requests_submitted_total",
    "Service requests the backend accepted from a conversation, by kind.",
    ["kind"],
)
OUTCOMES = {200: "ok", 400: "rejected", 404: "not_found"}
UNKNOWN = "unknown"


def backend_error(reason: str) -> None:
    """Count a failed call to the backend."""
    BACKEND_ERRORS.labels(reason=reason).inc()


def request_submitted(kind: str) -> None:
    """Count a request the backend accepted."""
    REQUESTS_SUBMITTED.labels(kind=kind).inc()


def install(app: Sanic, metrics_token: str) -> None:
    """Time every action call and serve ``GET /metrics`` to the scrape token only."""

    @app.middleware("request")
    async def start_clock(request: Request) -> None:
        if request.path == "/webhook" and request.method == "POST":
            request.ctx.metrics_started = time.perf_counter()

    @app.middleware("response")
    async def record(request: Request, answer: HTTPResponse) -> None:
        started = getattr(request.ctx, "metrics_started", None)
        if started is None:
            return  # not an action call, or refused before it ran (no token)
        outcome = OUTCOMES.get(answer.status, "error")
        action = _action_name(request) if outcome != "not_found" else UNKNOWN
        ACTIONS.labels(action=action, outcome=outcome).inc()
        ACTION_SECONDS.labels(action=action).observe(time.perf_counter() - started)

    async def scrape(request: Request) -> HTTPResponse:
        status, body, kind = common.answer(metrics_token, request.headers.get("authorization"))
        return response.raw(body, status=status, content_type=kind)

    app.add_route(scrape, common.METRICS_PATH, methods=["GET"], name="yucai_metrics")


def _action_name(request: Request) -> str:
    """Read the action's name from the call (``unknown`` if the body is not an action call)."""
    try:
        body = request.json
    except Exception:  # noqa: BLE001 - Sanic raises on a body that is not JSON
        return UNKNOWN
    name = body.get("next_action") if isinstance(body, dict) else None
    return name if isinstance(name, str) and name.startswith(("action_", "validate_")) else UNKNOWN
