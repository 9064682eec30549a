"""The backend's ``GET /metrics``: who may read it, and what it counts (README: *Metrics*).

The counters are process-wide (prometheus-client's registry), so every test
compares a scrape after the action with one before it.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot.backend.config import Settings
from bot.backend.db import create_db_engine, create_session_factory
from bot.backend.rasa_client import RasaClient
from bot.server import create_app
from tests.backend import payloads
from tests.backend.conftest import TOKEN, Clock
from tests.console.conftest import MakeAgent
from tests.console.test_console_handoff import queue_chat

SCRAPE_TOKEN = "metrics-test-token-0123456789abcdefghijklmnopqrstuvw"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def app(settings: Settings, clock: Clock) -> FastAPI:
    """The real app with the console, as the console tests build it, with a scrape token."""
    application = create_app(settings.model_copy(update={"metrics_token": SecretStr(SCRAPE_TOKEN)}))
    application.state.clock = clock
    return application


def scrape(client: TestClient) -> Samples:
    """Read every sample of ``/metrics`` with the scrape token."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """Return one sample (0 if the series has not been written yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", "Bearer generated-by-make-run", f"Bearer {TOKEN}", SCRAPE_TOKEN],
    ids=["none", "wrong", "placeholder", "backend token", "no Bearer"],
)
def test_metrics_answer_only_the_scrape_token(app: FastAPI, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    with TestClient(app) as client:
        refused = client.get("/metrics", headers=headers)
        scraped = client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
    assert "yucai_" not in refused.text
    assert scraped.status_code == 200 and "yucai_backend_http_requests_total" in scraped.text


def test_without_a_token_there_is_no_metrics_page(settings: Settings, clock: Clock) -> None:
    app = create_app(settings.model_copy(update={"metrics_token": SecretStr("")}))
    app.state.clock = clock
    with TestClient(app) as client:
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": f"Bearer {TOKEN}"}):
            assert client.get("/metrics", headers=headers).status_code == 404


def test_requests_handoffs_and_claims_are_counted(
    app: FastAPI,
    bot_api: TestClient,
    make_agent: MakeAgent,
    clock: Clock,
    settings: Settings,
) -> None:
    app.state.rasa = RasaClient(
        settings, transport=httpx.MockTransport(lambda _: httpx.Response(200, json={}))
    )
    li = make_agent("li", teams=("housing",))
    before = scrape(bot_api)
    body = payloads.housing()
    first = bot_api.post("/api/v1/requests", json=body, headers={"Idempotency-Key": "m-1"})
    replay = bot_api.post("/api/v1/requests", json=body, headers={"Idempotency-Key": "m-1"})
    assert (first.status_code, replay.status_code) == (201, 200)
    handoff_id = queue_chat(bot_api, "web-metrics").json()["id"]
    clock.now += timedelta(seconds=90)
    queued = scrape(bot_api)

    created = ("yucai_requests_created_total", {"kind": "housing", "channel": body["channel"]})
    assert value(queued, created[0], **created[1]) == value(before, created[0], **created[1]) + 1
    http = "yucai_backend_http_requests_total"
    route = {"handler": "/api/v1/requests", "method": "POST"}
    for status in ("201", "200"):
        assert (
            value(queued, http, **route, status=status)
            == value(before, http, **route, status=status) + 1
        )
    assert value(queued, "yucai_handoffs_queued_total", team="housing", channel="socketio") == (
        value(before, "yucai_handoffs_queued_total", team="housing", channel="socketio") + 1
    )
    assert value(queued, "yucai_handoff_queue_waiting", team="housing") == 1
    assert value(queued, "yucai_handoff_queue_oldest_wait_seconds", team="housing") == 90

    assert li.post(f"/console/api/handoffs/{handoff_id}/claim").status_code == 200
    claimed = scrape(bot_api)
    assert value(claimed, "yucai_handoffs_claimed_total", team="housing") == (
        value(before, "yucai_handoffs_claimed_total", team="housing") + 1
    )
    wait = "yucai_handoff_wait_seconds"
    assert value(claimed, f"{wait}_count", team="housing") == (
        value(before, f"{wait}_count", team="housing") + 1
    )
    assert value(claimed, f"{wait}_sum", team="housing") == (
        value(before, f"{wait}_sum", team="housing") + 90
    )
    assert value(claimed, "yucai_handoff_queue_waiting", team="housing") == 0


def test_a_database_outage_counts_as_service_unavailable(app: FastAPI, bot_api: TestClient) -> None:
    series = ("yucai_backend_errors_total", {"code": "service_unavailable", "handler": "/ready"})
    before = scrape(bot_api)
    working = app.state.session_factory
    app.state.session_factory = create_session_factory(
        create_db_engine("postgresql+psycopg://postgres@127.0.0.1:1/yucai")
    )
    try:
        assert bot_api.get("/ready").status_code == 503
        during = scrape(bot_api)  # the queue is not measured, the rest still is
    finally:
        app.state.session_factory = working
    assert value(during, series[0], **series[1]) == value(before, series[0], **series[1]) + 1
    assert not any(name == "yucai_handoff_queue_waiting" for name, _ in during)
