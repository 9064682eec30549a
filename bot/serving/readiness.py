"""``GET /ready`` on each Rasa instance: the model, the tracker store, the lock store, the broker.

A load balancer or Kubernetes sends users only to an instance whose tracker
store and lock store answer; without them every turn would fail closed. The
event broker is reported but does not make an instance unready: while
RabbitMQ is away the Pika broker keeps events in memory and publishes them on
reconnection, and turns go on being answered.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import rasa.core.run
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

PROBE_SENDER = "__yucai_readiness__"
PROBE_TIMEOUT_SECONDS = 3.0


async def check(agent: Any) -> tuple[bool, dict[str, str]]:
    """Return whether the instance can take turns, and the state of each part."""
    parts: dict[str, str] = {}
    if agent is None or not agent.is_ready():
        return False, {"model": "loading"}
    parts["model"] = "ok"
    try:
        await asyncio.wait_for(agent.tracker_store.retrieve(PROBE_SENDER), PROBE_TIMEOUT_SECONDS)
        parts["tracker_store"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        parts["tracker_store"] = type(exc).__name__
    redis = getattr(agent.lock_store, "red", None)
    if redis is not None:
        try:
            await asyncio.wait_for(asyncio.to_thread(redis.ping), PROBE_TIMEOUT_SECONDS)
            parts["lock_store"] = "ok"
        except Exception as exc:  # noqa: BLE001
            parts["lock_store"] = type(exc).__name__
    broker = getattr(agent.tracker_store, "event_broker", None)
    if broker is not None:
        parts["event_broker"] = "ok" if broker.is_ready() else "buffering"
    ready = all(parts.get(name, "ok") == "ok" for name in ("tracker_store", "lock_store"))
    return ready, parts


def add_route(app: Sanic) -> None:
    """Mount ``GET /ready`` (no token: it says nothing about any conversation)."""

    async def ready(request: Request) -> HTTPResponse:
        ok, parts = await check(getattr(request.app.ctx, "agent", None))
        status = 200 if ok else 503
        headers = {} if ok else {"Retry-After": "5"}
        return response.json({"status": "ok" if ok else "unavailable", **parts}, status, headers)

    app.add_route(ready, "/ready", methods=["GET"], name="yucai_ready")


def install() -> None:
    """Add the route to every app ``rasa run`` configures in this process."""
    original = rasa.core.run.configure_app

    def configure_app(*args: Any, **kwargs: Any) -> Sanic:
        app = original(*args, **kwargs)
        add_route(app)
        return app

    rasa.core.run.configure_app = configure_app
