"""The live console's event stream, over real HTTP: what each agent may see, and when.

The app runs under uvicorn on a free port (TestClient buffers a response, and
this one never ends); the agents read the stream with httpx.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.console.conftest import PASSWORD, MakeAgent
from tests.console.test_console_handoff import queue_chat
from tests.support import free_port, wait_for


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    """Serve the app (the same database as ``make_agent``'s) on 127.0.0.1."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/health")
    yield base
    running.should_exit = True
    thread.join(timeout=10)


def signed_in(base: str, username: str) -> httpx.Client:
    """An httpx client holding the agent's console cookie."""
    client = httpx.Client(base_url=base, timeout=10)
    response = client.post(
        "/console/api/session", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return client


@contextmanager
def stream(client: httpx.Client, query: str = "") -> Iterator[Iterator[tuple[str, Any]]]:
    """Open the event stream; yield an iterator over its (event, data) pairs."""
    with client.stream("GET", f"/console/api/events{query}") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")

        def events() -> Iterator[tuple[str, Any]]:
            name = ""
            for line in response.iter_lines():
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: ") and name:
                    data = line.removeprefix("data: ")
                    yield name, (json.loads(data) if data.startswith("{") else data)
                    name = ""

        yield events()


def next_event(events: Iterator[tuple[str, Any]], wanted: str) -> Any:
    """Return the data of the next event called ``wanted``."""
    for name, data in events:
        if name == wanted:
            return data
    raise AssertionError(f"the stream ended before a {wanted} event")


def topics(queue: dict[str, Any]) -> list[str]:
    """The topics of the chats in a queue event."""
    return sorted(h["topic"] for h in queue["handoffs"])


def test_each_agent_streams_only_its_teams_queue(
    server: str, make_agent: MakeAgent, bot_api: TestClient
) -> None:
    make_agent("li", teams=("housing",))
    make_agent("wang", teams=("schooling",))
    assert queue_chat(bot_api, "web-1", "housing_policy").status_code == 201
    assert queue_chat(bot_api, "web-2", "school_policy").status_code == 201
    li, wang = signed_in(server, "li"), signed_in(server, "wang")
    with stream(li) as li_events, stream(wang) as wang_events:
        assert topics(next_event(li_events, "queue")) == ["housing_policy"]
        assert topics(next_event(wang_events, "queue")) == ["school_policy"]
        # a new chat arrives on the open stream, without asking again
        assert queue_chat(bot_api, "web-3", "housing_policy").status_code == 201
        assert topics(next_event(li_events, "queue")) == ["housing_policy", "housing_policy"]


def test_a_conversation_outside_the_agents_teams_is_not_streamed(
    server: str, make_agent: MakeAgent, bot_api: TestClient
) -> None:
    make_agent("li", teams=("housing",))
    make_agent("wang", teams=("schooling",))
    school = queue_chat(bot_api, "web-2", "school_policy").json()["id"]
    with stream(signed_in(server, "li"), f"?handoff={school}") as events:
        refused = next_event(events, "conversation_error")
    assert "未找到" in refused or "范围" in refused


def test_the_stream_needs_a_session_and_ends_at_sign_out(
    server: str, make_agent: MakeAgent
) -> None:
    anonymous = httpx.Client(base_url=server, timeout=10)
    assert anonymous.get("/console/api/events").status_code == 401
    make_agent("li", teams=("housing",))
    li = signed_in(server, "li")
    with stream(li) as events:
        next_event(events, "queue")
        csrf = li.get("/console/api/session").json()["csrf_token"]
        assert li.delete("/console/api/session", headers={"X-CSRF-Token": csrf}).status_code in {
            200,
            204,
        }
        assert next_event(events, "signed_out") == "请重新登录"
