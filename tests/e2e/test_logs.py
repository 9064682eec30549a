"""One turn, one id: the REST caller's X-Request-ID in the log lines of all three processes."""

from __future__ import annotations

import json
import urllib.request
import uuid

from bot.launcher import Stack
from tests.e2e.conftest import ARTIFACTS, joined


def test_a_turns_id_reaches_every_process_and_comes_back(stack: Stack) -> None:
    turn = f"e2e-turn-{uuid.uuid4().hex[:12]}"
    body = json.dumps({"sender": f"e2e-logs-{turn}", "message": "转人工"}).encode()
    request = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json", "X-Request-ID": turn},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        echoed = response.headers["X-Request-ID"]
        answer = joined(json.loads(response.read()))
    assert echoed == turn
    # the offer asked the backend who can answer (REST cannot carry a live chat)
    assert "还不能接入在线人工客服" in answer
    lines = {
        name: [
            line
            for line in (ARTIFACTS / "logs" / f"{name}.log")
            .read_text(encoding="utf-8", errors="replace")
            .splitlines()
            if turn in line
        ]
        for name in ("rasa", "actions", "backend")
    }
    assert any("REST turn answered" in line for line in lines["rasa"]), lines
    assert any("action_offer_handoff" in line for line in lines["actions"]), lines
    assert any("/api/v1/handoffs/availability" in line for line in lines["backend"]), lines


def test_a_turn_without_an_id_gets_one(stack: Stack) -> None:
    body = json.dumps({"sender": f"e2e-logs-{uuid.uuid4().hex[:8]}", "message": "你好"}).encode()
    request = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json", "X-Request-ID": "two words"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        made = response.headers["X-Request-ID"]
    assert made and made != "two words" and len(made) == 32
    rasa_log = (ARTIFACTS / "logs" / "rasa.log").read_text(encoding="utf-8", errors="replace")
    assert f"[{made}] - REST turn answered with 200" in rasa_log
