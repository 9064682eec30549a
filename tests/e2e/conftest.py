"""The whole assistant, started once per test session: three real processes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.launcher import BACKEND_BIN, ROOT, Stack
from tests.fake_wechat import stack_env as wechat_env
from tests.support import running_stack

ARTIFACTS = ROOT / "var" / "test-results" / "e2e"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Start backend, action server and Rasa with the trained model."""
    workdir = tmp_path_factory.mktemp("stack")
    # the WeChat channel talks to tests/fake_wechat.py
    # status updates (issue 15): a web user's next visit is looked for every second, and a
    # failing push is retried without long waits
    extra = {
        "BACKEND_READ_TIMEOUT": "5",
        "NOTIFY_VISIT_POLL_SECONDS": "1",
        "NOTIFY_RETRY_SECONDS": "0.2",
        **wechat_env(workdir),
    }
    with running_stack(workdir, ARTIFACTS / "logs", "e2e", extra) as stack:
        yield stack


@pytest.fixture(scope="session")
def backend_db(stack: Stack) -> Path:
    """Return the path of the backend's SQLite database."""
    return Path(stack.env["DATABASE_URL"].removeprefix("sqlite:///"))


def post_json(
    url: str, body: dict[str, Any], timeout: float = 60, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """POST JSON and return the status and decoded body."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


@pytest.fixture(scope="session")
def say(stack: Stack) -> Callable[[str, str], list[dict[str, Any]]]:
    """Send one message over the REST channel and return the bot's messages."""

    def _say(sender: str, text: str) -> list[dict[str, Any]]:
        status, body = post_json(
            f"{stack.rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": text}
        )
        assert status == 200, body
        assert isinstance(body, list)
        return body

    return _say


def joined(messages: list[dict[str, Any]]) -> str:
    """Return all texts of a reply as one string."""
    return "\n".join(m.get("text", "") for m in messages)


def rows(db: Path, sql: str, *params: Any) -> list[sqlite3.Row]:
    """Query the backend's database directly."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute(sql, params))


@pytest.fixture(scope="session")
def someone_elses_request(stack: Stack) -> str:
    """Create a request straight through the backend API, as another person."""
    return create_request(stack, "e2e-someone-else")


def create_request(stack: Stack, idempotency_key: str) -> str:
    """Create a housing request of 赵敏 (phone ending 2222) through the backend API."""
    base, token = stack.backend_url, stack.env["BACKEND_API_TOKEN"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(method: str, path: str, body: Any = None, extra: dict[str, str] | None = None) -> Any:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        request = urllib.request.Request(
            f"{base}{path}", data=data, method=method, headers={**headers, **(extra or {})}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    notice = call("GET", "/api/v1/consent/notices/housing")
    created = call(
        "POST",
        "/api/v1/requests",
        {
            "kind": "housing",
            "applicant": {
                "name": "赵敏",
                "phone": "13500002222",
                "id_number": "11010519491231002X",
            },
            "channel": "rest",
            "sender_id": "someone-else",
            "consent": {
                "notice_version": notice["version"],
                "agreed_at": "2026-11-27T10:00:00+08:00",
            },
            "details": {
                "housing_type": "youth_rental",
                "district": "江北区",
                "household_size": 2,
                "move_in_month": "2027-06",
            },
        },
        {"Idempotency-Key": idempotency_key},
    )
    return str(created["number"])


# --- hotline console and handoff (issue 5) ------------------------------------
AGENT_PASSWORD = "e2e-agent-secret-2026"
#: username -> teams; nobody covers ``hospital`` until a test signs "zhou" in
AGENTS = {"li": "housing,general", "wang": "schooling", "zhou": "hospital", "chen": "settlement"}


@pytest.fixture(scope="session")
def agents(stack: Stack) -> dict[str, str]:
    """Create the console accounts once, with the operator command."""
    for username, teams in AGENTS.items():
        subprocess.run(
            [str(BACKEND_BIN / "python"), "-m", "bot.backend.cli", "create-agent", username,
             "--name", f"{username}老师", "--teams", teams, "--password-stdin"],
            cwd=ROOT, env=stack.env, input=AGENT_PASSWORD + "\n", text=True,
            capture_output=True, check=True,
        )  # fmt: skip
    return dict(AGENTS)


class ConsoleAgent:
    """An agent using the console's JSON API, as the console page does."""

    def __init__(self, base_url: str, username: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        signed_in = self.http.post(
            f"{base_url}/console/api/session",
            json={"username": username, "password": AGENT_PASSWORD},
            timeout=10,
        )
        assert signed_in.status_code == 200, signed_in.text
        self.csrf = signed_in.json()["csrf_token"]

    def get(self, path: str) -> Any:
        """GET a console API path and decode it."""
        response = self.http.get(f"{self.base_url}/console/api{path}", timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: Any = None) -> Any:
        """POST to a console API path with the CSRF token and decode it."""
        response = self.http.post(
            f"{self.base_url}/console/api{path}",
            json=body,
            headers={"X-CSRF-Token": self.csrf},
            timeout=30,
        )
        assert response.status_code in (200, 201), response.text
        return response.json()

    def sign_out(self) -> None:
        """End the session, so the agent no longer counts as online."""
        self.http.delete(
            f"{self.base_url}/console/api/session", headers={"X-CSRF-Token": self.csrf}, timeout=10
        )


@pytest.fixture
def console(stack: Stack, agents: dict[str, str]) -> Iterator[Callable[[str], ConsoleAgent]]:
    """Sign agents in through the console API; they are signed out afterwards."""
    signed_in: list[ConsoleAgent] = []

    def _sign_in(username: str) -> ConsoleAgent:
        agent = ConsoleAgent(stack.backend_url, username)
        signed_in.append(agent)
        return agent

    yield _sign_in
    for agent in signed_in:
        agent.sign_out()


def tracker_text(stack: Stack, sender: str | None = None) -> str:
    """Return the stored events of one conversation (or of all), decoded, read with plain SQL."""
    db = Path(stack.env["TRACKER_STORE_URL"].removeprefix("sqlite:///"))
    query = "SELECT data FROM events" + (" WHERE sender_id = ?" if sender else "") + " ORDER BY id"
    with sqlite3.connect(db) as conn:
        found = conn.execute(query, (sender,) if sender else ())
        # Rasa writes JSON with \u escapes: decode, so Chinese and numbers read as typed
        return "\n".join(json.dumps(json.loads(data), ensure_ascii=False) for (data,) in found)
