"""The Rasa server's Prometheus metrics and its ``GET /metrics`` (README: *Metrics*).

Both ways of starting Rasa call ``install`` before handing over to Rasa's
command line: ``python -m bot.rasa_server`` (``make run``) and ``python -m
bot.serving`` (the production topology). Rasa 3.6 has no metrics hook, so
this wraps three of its functions, in this process only:

- ``Agent.handle_message``: one user message, from waiting for its
  conversation's lock to the answer, counted and timed by input channel;
- ``MessageProcessor._run_prediction_loop``: after the bot has acted, the
  turn's events say whether it fell back (NLU's ``nlu_fallback`` or the
  dialogue's ``action_default_fallback``) and whether it offered a person;
- ``rasa.core.run.configure_app``: adds the ``/metrics`` route (bearer
  ``METRICS_TOKEN``), as ``readiness`` adds ``/ready``.

``bot.serving`` installs this before ``fail_closed``, so a turn that fails
closed is still counted here, as an ``error``, before it is answered.
"""

from __future__ import annotations

import time
from typing import Any

import rasa.core.run
from prometheus_client import Counter, Histogram
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import ActionExecuted, UserUttered
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.common import metrics as common

TURNS = Counter(
    "yucai_turns_total",
    "User messages Rasa handled, by input channel and outcome (ok or error).",
    ["channel", "outcome"],
)
TURN_SECONDS = Histogram(
    "yucai_turn_duration_seconds",
    "From a user message's arrival at Rasa to the bot's answer (lock wait and actions included).",
    ["channel"],
    buckets=common.LATENCY_BUCKETS,
)
FALLBACKS = Counter(
    "yucai_fallbacks_total",
    "Turns the bot was not sure about: kind nlu_fallback (NLU) or action_default_fallback "
    "(dialogue).",
    ["channel", "kind"],
)
HANDOFFS_OFFERED = Counter(
    "yucai_handoffs_offered_total", "Turns in which the bot offered a person.", ["channel"]
)
NLU_FALLBACK = "nlu_fallback"
CORE_FALLBACK = "action_default_fallback"
OFFER_HANDOFF = "action_offer_handoff"
_installed: list[bool] = []


def install() -> None:
    """Wrap Rasa's turn and app set-up once per process (idempotent)."""
    if _installed:
        return
    _installed.append(True)
    token = common.metrics_token()
    original_handle = Agent.handle_message
    original_loop = MessageProcessor._run_prediction_loop
    original_configure = rasa.core.run.configure_app

    async def handle_message(self: Agent, message: UserMessage) -> Any:
        channel = message.input_channel or "unknown"
        started = time.perf_counter()
        outcome = "error"
        try:
            answer = await original_handle(self, message)
            outcome = "ok"
            return answer
        finally:
            TURNS.labels(channel=channel, outcome=outcome).inc()
            TURN_SECONDS.labels(channel=channel).observe(time.perf_counter() - started)

    async def run_prediction_loop(
        self: MessageProcessor, output_channel: Any, tracker: Any
    ) -> None:
        await original_loop(self, output_channel, tracker)
        record_turn(tracker)

    def configure_app(*args: Any, **kwargs: Any) -> Sanic:
        app = original_configure(*args, **kwargs)
        add_route(app, token)
        return app

    Agent.handle_message = handle_message
    MessageProcessor._run_prediction_loop = run_prediction_loop
    rasa.core.run.configure_app = configure_app


def record_turn(tracker: Any) -> None:
    """Count a fallback and a handoff offer among the events since the user's last message."""
    if tracker.is_paused():
        return  # a person has the conversation: what the user says is not the bot's turn
    channel = tracker.get_latest_input_channel() or "unknown"
    actions: set[str] = set()
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            if (event.intent or {}).get("name") == NLU_FALLBACK:
                FALLBACKS.labels(channel=channel, kind=NLU_FALLBACK).inc()
            break
        if isinstance(event, ActionExecuted) and event.action_name:
            actions.add(event.action_name)
    if CORE_FALLBACK in actions:
        FALLBACKS.labels(channel=channel, kind=CORE_FALLBACK).inc()
    if OFFER_HANDOFF in actions:
        HANDOFFS_OFFERED.labels(channel=channel).inc()


def add_route(app: Sanic, token: str) -> None:
    """Mount ``GET /metrics`` for the scrape token only (404 when no token is configured)."""

    async def scrape(request: Request) -> HTTPResponse:
        status, body, content_type = common.answer(token, request.headers.get("authorization"))
        return response.raw(body, status=status, content_type=content_type)

    app.add_route(scrape, common.METRICS_PATH, methods=["GET"], name="yucai_metrics")
