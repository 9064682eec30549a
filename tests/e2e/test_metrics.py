"""A scripted conversation shows up in the metrics of all three processes (README: Metrics).

The turns go over REST to the real Rasa, which calls the real action server,
which calls the real backend; afterwards each process's ``/metrics``, read
with ``METRICS_TOKEN``, has counted exactly what happened. Who may read
``/metrics`` is in tests/e2e/test_access.py.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bot.launcher import Stack
from tests.e2e.conftest import joined

Say = Callable[[str, str], list[dict[str, Any]]]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

SCHOOLING = [
    "我想给我女儿办小学入学，我们住渝北",
    "同意",
    "王小红",
    "三年级",
    "成都市实验小学",
    "王强",
    "13700001234",
    "对的，提交吧",
]


def process_urls(stack: Stack) -> dict[str, str]:
    """Where each process answers (the stack binds them all to 127.0.0.1)."""
    return {
        "rasa": stack.rasa_url,
        "actions": f"http://127.0.0.1:{stack.env['ACTION_SERVER_PORT']}",
        "backend": stack.backend_url,
    }


def scrape(url: str, token: str) -> Samples:
    """Read every sample of one process's ``/metrics``."""
    request = urllib.request.Request(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode("utf-8")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_a_conversation_is_counted_by_rasa_the_actions_and_the_backend(
    stack: Stack, say: Say
) -> None:
    token = stack.env["METRICS_TOKEN"]
    urls = process_urls(stack)
    before = {name: scrape(url, token) for name, url in urls.items()}

    user = f"e2e-metrics-{time.time_ns()}"
    replies = [joined(say(user, text)) for text in SCHOOLING]
    assert "提交成功" in replies[-1]
    say(user, "😀😀😀")  # NLU is not sure: nlu_fallback
    offer = joined(say(f"e2e-metrics-offer-{time.time_ns()}", "转人工"))
    assert "登记回电" in offer  # REST cannot carry a person's replies: a callback is offered
    turns = len(SCHOOLING) + 2

    after = {name: scrape(url, token) for name, url in urls.items()}

    def delta(process: str, name: str, **labels: str) -> float:
        key = (name, frozenset(labels.items()))
        return after[process].get(key, 0.0) - before[process].get(key, 0.0)

    # Rasa: every message a turn, each timed; the fallback and the offer of a person
    assert delta("rasa", "yucai_turns_total", channel="rest", outcome="ok") == turns
    assert delta("rasa", "yucai_turn_duration_seconds_count", channel="rest") == turns
    assert delta("rasa", "yucai_fallbacks_total", channel="rest", kind="nlu_fallback") >= 1
    assert delta("rasa", "yucai_handoffs_offered_total", channel="rest") == 1
    # the action server: the actions that ran, their time, the request it submitted
    for action in ("action_submit_request", "action_offer_handoff"):
        assert delta("actions", "yucai_actions_total", action=action, outcome="ok") == 1, action
        assert delta("actions", "yucai_action_duration_seconds_count", action=action) == 1
    assert delta("actions", "yucai_action_requests_submitted_total", kind="schooling") == 1
    assert delta("actions", "yucai_action_backend_errors_total", reason="unreachable") == 0
    # the backend: the request created, and the calls by route template and status
    assert delta("backend", "yucai_requests_created_total", kind="schooling", channel="rest") == 1
    http = "yucai_backend_http_requests_total"
    assert delta("backend", http, handler="/api/v1/requests", method="POST", status="201") == 1
    availability = {"handler": "/api/v1/handoffs/availability", "method": "GET", "status": "200"}
    assert delta("backend", http, **availability) == 1
    errors = [key for key in after["backend"] if key[0] == "yucai_backend_errors_total"]
    assert all(after["backend"][k] == before["backend"].get(k, 0.0) for k in errors)
