"""Two backend workers sweep the same timed-out chat: the user is told exactly once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.backend.config import Settings
from bot.backend.handoffs.sweeper import sweep_once
from bot.backend.rasa_client import RasaClient
from tests.backend.conftest import FIXED_NOW
from tests.console.conftest import MakeAgent
from tests.console.test_console_handoff import WAIT, queue_chat


def slow_rasa(settings: Settings, calls: list[httpx.Request]) -> RasaClient:
    """Rasa answering slowly, so two sweepers overlap while the first tells the user."""

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        time.sleep(0.5)
        return httpx.Response(200, json={"events": []})

    return RasaClient(settings, transport=httpx.MockTransport(answer))


def test_two_sweepers_release_a_chat_once(
    app: FastAPI, bot_api: TestClient, settings: Settings, make_agent: MakeAgent
) -> None:
    make_agent("li", teams=("housing",))  # someone online, so the chats are queued
    for n in range(3):
        assert queue_chat(bot_api, f"web-race-{n}").status_code == 201
    calls: list[httpx.Request] = []
    released: list[int] = []
    later = FIXED_NOW + WAIT + timedelta(minutes=1)

    def sweep() -> None:
        rasa = slow_rasa(settings, calls)
        released.append(sweep_once(app.state.session_factory, rasa, now=later, wait=WAIT))

    workers = [threading.Thread(target=sweep) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sum(released) == 3
    told = sorted(request.url.path for request in calls)
    assert told == sorted(f"/conversations/web-race-{n}/tracker/events" for n in range(3))
