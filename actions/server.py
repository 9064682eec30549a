"""The action server as the launcher starts it: rasa-sdk's app behind a shared secret.

rasa-sdk 3.6 accepts any caller on ``/webhook`` and ``/actions`` and
decompresses ``Content-Encoding: deflate`` bodies without a bound. Here every
call but ``/health`` must carry ``Authorization: Bearer <ACTION_SERVER_TOKEN>``
(Rasa sends it from ``endpoints.yml``: ``action_endpoint.headers``), compressed
bodies are refused, CORS is off, and the server binds ``SANIC_HOST``
(127.0.0.1 unless told otherwise). It refuses to start on a missing,
placeholder or short secret.

``python -m actions.server --port 5055 [--logging-config-file bot/logging.yml]``
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions import metrics
from bot.common import secrets as secret_rules
from bot.common.logs import HEADER, METADATA_KEY, clean_request_id, new_request_id, request_id
from bot.common.metrics import METRICS_PATH

logger = logging.getLogger("actions.server")  # also when run as __main__
OPEN_PATHS = frozenset({"/health"})
#: ``/metrics`` checks its own token (METRICS_TOKEN), never Rasa's
OWN_TOKEN_PATHS = frozenset({METRICS_PATH})


def create_app(token: str, metrics_token: str = "") -> Sanic:
    """Build rasa-sdk's app for the ``actions`` package and guard it with ``token``."""
    from rasa_sdk.endpoint import create_app as create_sdk_app

    app = create_sdk_app("actions", cors_origins=None)
    expected = f"Bearer {token}".encode()

    @app.listener("after_server_start")
    async def warm_up(_app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        # in a thread, so /health answers at once and the first question finds it loaded
        from actions.knowledge import warm_up as load_knowledge

        loading = asyncio.get_running_loop().run_in_executor(None, load_knowledge)
        loading.add_done_callback(_report_warm_up)

    @app.middleware("request")
    async def require_secret(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or request.path in OWN_TOKEN_PATHS:
            return None
        presented = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(presented, expected):
            return response.json({"error": "unauthorized"}, status=401)
        if request.headers.get("content-encoding"):
            return response.json({"error": "compressed bodies are not accepted"}, status=415)
        request.ctx.request_id = turn_request_id(request)
        request_id.set(request.ctx.request_id)  # the action runs in this request's task
        if request.path == "/webhook":
            logger.info("running %s", _action_call(request).get("next_action", "an action"))
        return None

    @app.middleware("response")
    async def echo_request_id(request: Request, reply: HTTPResponse) -> None:
        turn_id = getattr(request.ctx, "request_id", None)
        if turn_id and reply is not None:
            reply.headers[HEADER] = turn_id

    metrics.install(app, metrics_token)
    return app


def turn_request_id(request: Request) -> str:
    """Take the turn's id from ``X-Request-ID`` or the user message's metadata, else make one."""
    found = clean_request_id(request.headers.get(HEADER))
    if found is None:
        tracker = _action_call(request).get("tracker")
        latest = tracker.get("latest_message") if isinstance(tracker, dict) else None
        metadata = latest.get("metadata") if isinstance(latest, dict) else None
        if isinstance(metadata, dict):
            found = clean_request_id(metadata.get(METADATA_KEY))
    return found or new_request_id()


def _action_call(request: Request) -> dict[str, Any]:
    """Return the JSON body of a call ({} if absent or unreadable: rasa-sdk refuses it)."""
    if request.method != "POST":
        return {}
    try:
        call = request.json
    except Exception:  # noqa: BLE001 - a bad body is rasa-sdk's to refuse, not ours
        return {}
    return call if isinstance(call, dict) else {}


def _report_warm_up(loading: asyncio.Future[None]) -> None:
    """Log a failed warm-up (the first question then loads, or fails, on its own)."""
    error = loading.exception()
    if error is not None:
        logger.warning("knowledge base warm-up failed: %s", type(error).__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Check the secret, then serve the actions until stopped."""
    parser = argparse.ArgumentParser(prog="python -m actions.server", description=__doc__)
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("ACTION_SERVER_PORT", "5055"))
    )
    parser.add_argument("--logging-config-file", default=None)
    args = parser.parse_args(argv)
    try:
        token = secret_rules.require("ACTION_SERVER_TOKEN", os.environ.get("ACTION_SERVER_TOKEN"))
        # the token the actions use towards the backend is checked here too, at start
        secret_rules.require("BACKEND_API_TOKEN", os.environ.get("BACKEND_API_TOKEN"))
        metrics_token = secret_rules.require("METRICS_TOKEN", os.environ.get("METRICS_TOKEN"))
    except secret_rules.SecretError as exc:
        print(exc, file=sys.stderr)
        return 2
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME

    if args.logging_config_file is None:  # the file's formatter (JSON lines) stays as it is
        utils.configure_colored_logging(logging.INFO)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        None,
        logging.INFO,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()
    host = os.environ.get("SANIC_HOST", "127.0.0.1")
    logger.info("Action server on http://%s:%s (shared secret required)", host, args.port)
    create_app(token, metrics_token).run(host, args.port, workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
