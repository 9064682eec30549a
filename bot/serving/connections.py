"""Keep Rasa's HTTP connections to the action server open between calls (issue 13, row 14).

Rasa 3.6's ``EndpointConfig.request`` builds a new ``aiohttp.ClientSession``
for every call, so every custom action a turn runs opens (and closes) a new
TCP connection to the action server, and both sides set up a connection, a
session and a connector for one request. ``install`` gives each event loop
one session whose connections are kept open and reused, and sends every
request exactly as Rasa does (same method, headers, parameters, body,
timeout, TLS file, errors and result).

Reusing an idle connection has one hazard: the server may close it at the
moment the client picks it up, and the request then fails without having
been read. The server's side (Sanic's ``KEEP_ALIVE_TIMEOUT``, 5 s; HAProxy's
keep-alive timeout in the production topology, 10 s) closes an idle
connection only after it has been idle that long, so the client gives up
an idle connection well before (``IDLE_SECONDS``). A request is never sent
twice: a custom action is not safe to repeat, and a failed call takes the
path it took before (the production topology apologises,
``bot/serving/fail_closed.py``).

The body of a call (the whole conversation, for every custom action) is written
by ``dumps``: ujson, already Rasa's and Sanic's own dependency, instead of
``json.dumps`` (row 22: a 100-event tracker in 0.26 ms against 0.85 ms). Its text
is ASCII with the same escapes as ``json.dumps``', so a lone surrogate a user
typed stays writable (as UTF-8 text it could not be encoded, and the call would
fail); the action server reads the same JSON values. ujson refuses what json
refuses (a set, a date, an object: ``TypeError``) but also writes two things json
refuses, a ``Decimal`` and a tuple as a dictionary key; Rasa's trackers hold
neither.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from typing import Any

import aiohttp
import rasa.core.run as rasa_run
import rasa.utils.endpoints as rasa_endpoints
import ujson
from aiohttp import ContentTypeError
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

#: an idle connection is dropped by the client after this long, well before any server's
#: keep-alive timeout behind it (Sanic 5 s, HAProxy 10 s)
IDLE_SECONDS = 2.0
_installed: list[bool] = []
_sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


def install() -> None:
    """Send every ``EndpointConfig.request`` on a kept-alive session (idempotent)."""
    if _installed:
        return
    _installed.append(True)
    original_request = EndpointConfig.request
    original_close = rasa_run.close_resources

    async def request(
        self: EndpointConfig,
        method: str = "post",
        subpath: str | None = None,
        content_type: str | None = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        # Rasa 3.6's EndpointConfig.request, on this loop's session instead of a new one
        headers: dict[str, Any] = {}
        if content_type:
            headers["Content-Type"] = content_type
        headers.update(kwargs.pop("headers", None) or {})
        headers.update(self.headers)
        sslcontext = None
        if self.cafile:
            try:
                sslcontext = ssl.create_default_context(cafile=self.cafile)
            except FileNotFoundError as e:
                raise FileNotFoundException(
                    f"Failed to find certificate file, "
                    f"'{os.path.abspath(self.cafile)}' does not exist."
                ) from e
        auth = None
        if self.basic_auth:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        kwargs.setdefault(
            "timeout", aiohttp.ClientTimeout(total=rasa_endpoints.DEFAULT_REQUEST_TIMEOUT)
        )
        async with _session().request(
            method,
            concat_url(self.url, subpath),
            headers=headers,
            params=self.combine_parameters(kwargs),
            compress=compress,
            ssl=sslcontext,
            auth=auth,
            **kwargs,
        ) as response:
            if response.status >= 400:
                raise ClientResponseError(
                    response.status, response.reason, await response.content.read()
                )
            try:
                return await response.json()
            except ContentTypeError:
                return None

    async def close_resources(app: Any, loop: asyncio.AbstractEventLoop) -> None:
        await original_close(app, loop)
        await close()

    request.__wrapped__ = original_request  # type: ignore[attr-defined]
    EndpointConfig.request = request
    rasa_run.close_resources = close_resources


def dumps(value: Any) -> str:
    """Return ``value`` as ASCII JSON text with the values ``json.dumps`` gives."""
    return str(ujson.dumps(value, escape_forward_slashes=False))


def _session() -> aiohttp.ClientSession:
    """Return the running loop's kept-alive session, made on first use."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        for other in [other for other in _sessions if other.is_closed()]:
            del _sessions[other]  # a loop that has ended (tests make one per test)
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=IDLE_SECONDS)
        session = aiohttp.ClientSession(connector=connector, json_serialize=dumps)
        _sessions[loop] = session
    return session


async def close() -> None:
    """Close the running loop's session (when the server stops)."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()
