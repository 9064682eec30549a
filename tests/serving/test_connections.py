"""Rasa's calls to the action server reuse kept-alive connections (bot/serving/connections.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.serving import connections


@pytest.fixture(scope="module", autouse=True)
def installed() -> None:
    """Apply the change, as bot.serving.tuning.install does before Rasa starts."""
    connections.install()


@asynccontextmanager
async def server(
    keepalive_seconds: float = 75.0,
) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """Serve a stand-in action server on 127.0.0.1; yield its URL and what it was sent."""
    seen: list[dict[str, Any]] = []

    async def webhook(request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        raw = await request.read() if request.can_read_body else None
        seen.append(
            {
                "peer": peer,
                "headers": dict(request.headers),
                "query": dict(request.query),
                "body": json.loads(raw) if raw else None,
                "raw": raw,
            }
        )
        if request.query.get("status"):
            return web.Response(status=int(request.query["status"]), text="拒绝")
        if request.query.get("plain"):
            return web.Response(text="not json")
        return web.json_response({"events": [], "responses": [{"text": "好的"}]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app, keepalive_timeout=keepalive_seconds)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/webhook", seen
    finally:
        await connections.close()
        await runner.cleanup()


def run(test: Callable[[], Any]) -> Any:
    return asyncio.run(test())


def test_calls_from_one_loop_share_one_connection() -> None:
    async def three_calls() -> list[dict[str, Any]]:
        async with server() as (url, seen):
            endpoint = EndpointConfig(url, headers={"Authorization": "Bearer s3cret"})
            for n in range(3):
                answer = await endpoint.request(json={"next_action": f"a{n}"}, method="post")
                assert answer == {"events": [], "responses": [{"text": "好的"}]}
            return seen

    seen = run(three_calls)
    assert [call["body"] for call in seen] == [{"next_action": f"a{n}"} for n in range(3)]
    assert len({call["peer"] for call in seen}) == 1  # one TCP connection, reused
    assert all(call["headers"]["Authorization"] == "Bearer s3cret" for call in seen)
    assert all(call["headers"]["Content-Type"] == "application/json" for call in seen)


def test_a_call_is_sent_as_rasa_sends_it() -> None:
    async def calls() -> tuple[list[dict[str, Any]], Any, ClientResponseError]:
        async with server() as (url, seen):
            endpoint = EndpointConfig(
                url, params={"a": "1"}, token="t0ken", basic_auth={"username": "u", "password": "p"}
            )
            plain = await endpoint.request(json={}, params={"plain": "1"})
            with pytest.raises(ClientResponseError) as refused:
                await endpoint.request(json={}, params={"status": "403"}, timeout=4)
            return seen, plain, refused.value

    seen, plain, refused = run(calls)
    assert plain is None  # an answer that is not JSON, as Rasa reads it
    assert refused.status == 403 and refused.text == "拒绝".encode()
    assert seen[0]["query"] == {"a": "1", "token": "t0ken", "plain": "1"}
    assert seen[0]["headers"]["Authorization"].startswith("Basic ")


def test_a_calls_body_carries_the_same_json_values_as_json_dumps() -> None:
    tracker = {
        "sender_id": "u1",
        "slots": {"district": "渝北区", "household_size": 3.0, "consent": True, "note": None},
        "events": [{"event": "user", "text": "帮我申请/人才房\ud800", "confidence": 0.987654321}],
        "latest_message": {"entities": [], "big": 2**70, "tiny": 1e-300, "ints": {1: "一"}},
    }

    async def call() -> list[dict[str, Any]]:
        async with server() as (url, seen):
            await EndpointConfig(url).request(json={"next_action": "action_x", "tracker": tracker})
            return seen

    (seen,) = run(call)
    assert seen["body"] == json.loads(json.dumps({"next_action": "action_x", "tracker": tracker}))
    # json.dumps' escapes, so a lone surrogate typed by a user is sent, not an encoding error
    assert b"\\u6e1d\\u5317\\u533a" in seen["raw"] and b"\\ud800" in seen["raw"]
    assert b'": ' not in seen["raw"]  # written by ujson (compact), not aiohttp's json.dumps
    assert seen["headers"]["Content-Type"] == "application/json"


def test_what_json_cannot_write_is_refused_and_the_rest_reads_back_the_same() -> None:
    class Number(float):
        pass

    assert json.loads(connections.dumps({"x": [Number(1.5), "/"]})) == {"x": [1.5, "/"]}
    assert connections.dumps(float("nan")) == json.dumps(float("nan"))
    with pytest.raises(TypeError, match="not JSON serializable"):
        connections.dumps({"x": object()})


def test_a_connection_idle_longer_than_the_client_keeps_it_is_not_reused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(connections, "IDLE_SECONDS", 0.2)

    async def calls() -> list[dict[str, Any]]:
        async with server() as (url, seen):
            endpoint = EndpointConfig(url)
            await endpoint.request(json={})
            await asyncio.sleep(0.5)
            await endpoint.request(json={})
            return seen

    seen = run(calls)
    assert seen[0]["peer"] != seen[1]["peer"]


def test_a_connection_the_server_closed_while_idle_is_replaced_without_failing() -> None:
    async def calls() -> list[dict[str, Any]]:
        async with server(keepalive_seconds=0.2) as (url, seen):
            endpoint = EndpointConfig(url)
            await endpoint.request(json={"n": 1})
            await asyncio.sleep(1.5)  # the server has dropped the idle connection by now
            assert await endpoint.request(json={"n": 2}) is not None
            return seen

    seen = run(calls)
    assert [call["body"] for call in seen] == [{"n": 1}, {"n": 2}]
    assert seen[0]["peer"] != seen[1]["peer"]


def test_each_event_loop_gets_its_own_session() -> None:
    async def one_call() -> Any:
        async with server() as (url, _seen):
            return await EndpointConfig(url).request(json={})

    assert run(one_call) is not None
    assert run(one_call) is not None  # a session bound to the first, closed loop is not reused
