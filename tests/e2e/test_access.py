"""The access matrix of the Rasa side, and every refusal answered in Chinese.

Surfaces: the REST channel, socket.io, the WeChat webhook, Rasa's HTTP API,
the action server, the backend API and the console API, each tried with no
credential, a wrong one, a placeholder, the right one and the right one of
another scope. The production profile's REST channel runs in its own Rasa
process (module fixture). tests/console/test_access_matrix.py covers every
backend route one by one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.channels.web_auth import WebChatSettings
from bot.common import rasa_jwt
from bot.launcher import RASA_BIN, ROOT, Stack
from tests.e2e.conftest import create_request, joined
from tests.support import MODEL, free_port, wait_for

Say = Callable[[str, str], list[dict[str, Any]]]


def call(
    url: str, *, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, str, dict[str, str]]:
    """Make one HTTP call; return status, body text and headers, whatever the status."""
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return (
                response.status,
                response.read().decode("utf-8", "replace"),
                dict(response.headers),
            )
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace"), dict(exc.headers)


def user_jwt(secret: str, username: str) -> dict[str, str]:
    """A JWT with Rasa's ``user`` role: it may only touch its own conversation."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps({"user": {"username": username, "role": "user"}}).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    return {"Authorization": f"Bearer {header}.{payload}.{b64(signature.digest())}"}


# --- Rasa's HTTP API -------------------------------------------------------------
RASA_API = [
    ("GET", "/conversations/e2e-matrix/tracker", None),
    ("POST", "/model/parse", {"text": "你好"}),
    ("PUT", "/model", {"model_file": "/tmp/evil.tar.gz"}),
    ("GET", "/status", None),
]


@pytest.mark.parametrize(("method", "path", "body"), RASA_API)
def test_rasa_api_takes_only_a_signed_jwt_in_the_header(
    stack: Stack, method: str, path: str, body: Any
) -> None:
    secret = stack.env["RASA_API_TOKEN"]
    url = f"{stack.rasa_url}{path}"
    refused = {
        "none": call(url, method=method, body=body),
        "wrong": call(url, method=method, body=body, headers=rasa_jwt.auth_header("x" * 43)),
        "placeholder": call(
            url, method=method, body=body, headers=rasa_jwt.auth_header("dev-rasa-token")
        ),
        "query string": call(f"{url}?token={secret}", method=method, body=body),
    }
    for credential, (status, _, _) in refused.items():
        assert status == 401, credential
    scoped, _, _ = call(url, method=method, body=body, headers=user_jwt(secret, "someone-else"))
    assert scoped == 403  # a user-role token is the wrong scope for anything not its own
    if method != "PUT":  # never load a model over the API in a test
        right, _, _ = call(url, method=method, body=body, headers=stack.rasa_headers())
        assert right == 200


# --- the action server -----------------------------------------------------------
def test_the_action_server_needs_the_shared_secret(stack: Stack) -> None:
    base = f"http://127.0.0.1:{stack.env['ACTION_SERVER_PORT']}"
    body = {"next_action": "action_answer", "tracker": {"sender_id": "x"}, "domain": {}}
    cells = {
        "none": {},
        "wrong": {"Authorization": "Bearer wrong"},
        "placeholder": {"Authorization": "Bearer generated-by-make-run"},
        "backend's token": {"Authorization": f"Bearer {stack.env['BACKEND_API_TOKEN']}"},
    }
    for credential, headers in cells.items():
        assert call(f"{base}/webhook", method="POST", body=body, headers=headers)[0] == 401
        assert call(f"{base}/actions", headers=headers)[0] == 401, credential
    right = {"Authorization": f"Bearer {stack.env['ACTION_SERVER_TOKEN']}"}
    assert call(f"{base}/actions", headers=right)[0] == 200
    compressed = {**right, "Content-Encoding": "deflate"}
    assert call(f"{base}/webhook", method="POST", body=body, headers=compressed)[0] == 415
    assert call(f"{base}/health")[0] == 200


# --- backend and console --------------------------------------------------------
def test_backend_and_console_refuse_other_credentials(stack: Stack) -> None:
    backend = stack.backend_url
    token = {"Authorization": f"Bearer {stack.env['BACKEND_API_TOKEN']}"}
    districts = f"{backend}/api/v1/reference/districts"
    assert call(districts)[0] == 401
    assert call(districts, headers={"Authorization": "Bearer dev-backend-token"})[0] == 401
    assert (
        call(districts, headers={"Authorization": f"Bearer {stack.env['ACTION_SERVER_TOKEN']}"})[0]
        == 401
    )
    assert call(districts, headers=token)[0] == 200
    events = f"{backend}/api/v1/requests/HS20261127-0001/events"
    assert call(events, headers=token)[0] == 403  # the action server's token is not staff
    assert call(f"{backend}/console/api/requests?q=x", headers=token)[0] == 401


# --- /metrics of every process: METRICS_TOKEN only --------------------------------
@pytest.mark.parametrize("process", ["rasa", "actions", "backend"])
def test_metrics_take_only_the_metrics_token(stack: Stack, process: str) -> None:
    base = {
        "rasa": stack.rasa_url,
        "actions": f"http://127.0.0.1:{stack.env['ACTION_SERVER_PORT']}",
        "backend": stack.backend_url,
    }[process]
    own = {
        "rasa": stack.rasa_headers(),  # an admin JWT of Rasa's HTTP API
        "actions": {"Authorization": f"Bearer {stack.env['ACTION_SERVER_TOKEN']}"},
        "backend": {"Authorization": f"Bearer {stack.env['BACKEND_API_TOKEN']}"},
    }[process]
    token = stack.env["METRICS_TOKEN"]
    refused = {
        "none": call(f"{base}/metrics"),
        "wrong": call(f"{base}/metrics", headers={"Authorization": "Bearer " + "x" * 43}),
        "placeholder": call(
            f"{base}/metrics", headers={"Authorization": "Bearer generated-by-make-run"}
        ),
        "the process's own token": call(f"{base}/metrics", headers=own),
        "query string": call(f"{base}/metrics?token={token}"),
        "without Bearer": call(f"{base}/metrics", headers={"Authorization": token}),
    }
    for credential, (status, body, _) in refused.items():
        assert status == 401, credential
        assert "yucai_" not in body, credential
    status, body, headers = call(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"})
    content_type = {name.lower(): value for name, value in headers.items()}["content-type"]
    assert status == 200 and content_type.startswith("text/plain")
    assert "# TYPE yucai_" in body


# --- REST (default profile: open) and the chat limit ------------------------------
def test_rest_turns_over_the_limit_get_429_and_a_chinese_reply(stack: Stack) -> None:
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    limit = int(stack.env.get("CHAT_TURNS_PER_MINUTE", "20"))
    statuses = [
        call(url, method="POST", body={"sender": "e2e-flood", "message": "你好"})[0]
        for _ in range(limit)
    ]
    assert statuses == [200] * limit
    status, body, headers = call(
        url, method="POST", body={"sender": "e2e-flood", "message": "你好"}
    )
    assert status == 429 and int(headers["Retry-After"]) > 0
    assert "稍等" in json.loads(body)[0]["text"]
    other = call(url, method="POST", body={"sender": "e2e-not-flooding", "message": "你好"})
    assert other[0] == 200


def test_a_locked_number_is_answered_politely_for_every_sender(stack: Stack, say: Say) -> None:
    number = create_request(stack, "e2e-to-be-locked")  # its own: the lock lasts 15 minutes
    for attempt in range(5):
        sender = f"e2e-guesser-{attempt}"  # a new sender id each time
        assert "后四位" in joined(say(sender, f"查询申请{number}"))
        assert "没有找到" in joined(say(sender, f"{attempt:04d}"))
    for sender, digits in (("e2e-guesser-6", "9999"), ("e2e-owner", "2222")):
        say(sender, f"查询申请{number}")
        reply = joined(say(sender, digits))
        assert "锁定" in reply and "转人工" in reply, reply  # the right digits too
    ghost = "HS20261127-0999"
    for attempt in range(5):
        say(f"e2e-ghost-{attempt}", f"查询申请{ghost}")
        say(f"e2e-ghost-{attempt}", f"{attempt:04d}")
    say("e2e-ghost-owner", f"查询申请{ghost}")
    ghost_reply = joined(say("e2e-ghost-owner", "2222"))
    assert "锁定" in ghost_reply  # the same polite answer for a number nobody holds


# --- socket.io and WeChat ---------------------------------------------------------
def test_socketio_refuses_foreign_origins(stack: Stack) -> None:
    url = f"{stack.rasa_url}/socket.io/?EIO=4&transport=polling"
    assert call(url, headers={"Origin": "https://evil.example"})[0] == 400
    assert call(url, headers={"Origin": stack.rasa_url})[0] == 200


def test_the_wechat_webhook_refuses_unsigned_messages(stack: Stack) -> None:
    url = f"{stack.rasa_url}/webhooks/wechat/webhook"
    for query in ("", "?msg_signature=forged&timestamp=1&nonce=1"):
        status, _, _ = call(url + query, method="POST", body={"xml": "<xml/>"})
        assert status in {400, 403}


# --- the production profile -------------------------------------------------------
@pytest.fixture(scope="module")
def production_rasa(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second Rasa process on the same backend and actions, in the production profile."""
    port = free_port()
    env = {**stack.env, "YUCAI_PROFILE": "production", "RASA_PORT": str(port)}
    env.pop("REST_CHANNEL", None)
    log_dir = ROOT / "var" / "test-results" / "e2e" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "rasa-production.log", "wb") as log:
        process = subprocess.Popen(
            [
                str(RASA_BIN / "python"), "-m", "bot.rasa_server", "--enable-api",
                "--interface", "127.0.0.1", "--port", str(port), "--model", str(MODEL),
                "--endpoints", str(stack.endpoints), "--credentials", str(ROOT / "credentials.yml"),
                "--logging-config-file", str(ROOT / "bot" / "logging.yml"),
            ],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for(f"http://127.0.0.1:{port}/", timeout=240)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_production_rest_needs_a_signed_user_token(stack: Stack, production_rasa: str) -> None:
    url = f"{production_rasa}/webhooks/rest/webhook"
    body = {"sender": "someone-elses-openid", "message": "你好"}
    signer = WebChatSettings.from_env(stack.env)
    forged = WebChatSettings(secret=b"x" * 43, allowed_origins=frozenset()).sign_user_token("u1")
    for headers in (
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": f"Bearer {forged}"},
    ):
        status, text, _ = call(url, method="POST", body=body, headers=headers)
        assert status == 401 and "身份" in json.loads(text)[0]["text"]
    token = signer.sign_user_token("resident-42")
    status, text, _ = call(
        url, method="POST", body=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert status == 200 and json.loads(text)
    tracker = call(
        f"{production_rasa}/conversations/{signer.user_sender_id('resident-42')}/tracker",
        headers=stack.rasa_headers(),
    )
    said = [e.get("text") for e in json.loads(tracker[1])["events"] if e["event"] == "user"]
    assert tracker[0] == 200 and said == ["你好"]  # the token's user, not the body's sender


def test_production_logs_json_lines_with_each_turns_id(production_rasa: str) -> None:
    url = f"{production_rasa}/webhooks/rest/webhook"
    status, _, headers = call(
        url,
        method="POST",
        body={"sender": "x", "message": "你好"},
        headers={"X-Request-ID": "prod-t1"},
    )
    echoed = {name.lower(): value for name, value in headers.items()}["x-request-id"]
    assert status == 401 and echoed == "prod-t1"
    log = ROOT / "var" / "test-results" / "e2e" / "logs" / "rasa-production.log"
    records = [
        json.loads(line)
        for line in log.read_text(encoding="utf-8").splitlines()
        if line.startswith("{")
    ]
    turn = [r for r in records if r["request_id"] == "prod-t1"]
    assert [r["message"] for r in turn] == [
        "REST turn refused: user token missing",
        "REST turn answered with 401",
    ]
    assert all(r["logger"] == "bot.channels.rest" and r["level"] == "INFO" for r in turn)


def test_production_refuses_an_open_rest_channel(stack: Stack) -> None:
    env = {**stack.env, "YUCAI_PROFILE": "production", "REST_CHANNEL": "open"}
    env["RASA_PORT"] = str(free_port())
    result = subprocess.run(
        [str(RASA_BIN / "python"), "-m", "bot.rasa_server", "--enable-api",
         "--port", env["RASA_PORT"], "--model", str(MODEL),
         "--endpoints", str(stack.endpoints), "--credentials", str(ROOT / "credentials.yml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "REST_CHANNEL" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "name", ["RASA_API_TOKEN", "WEBCHAT_SECRET", "WECHAT_TOKEN", "METRICS_TOKEN"]
)
def test_rasa_refuses_placeholder_secrets(stack: Stack, name: str, tmp_path: Path) -> None:
    env = {**os.environ, **stack.env, name: "generated-by-make-run"}
    result = subprocess.run(
        [str(RASA_BIN / "python"), "-m", "bot.rasa_server", "--port", str(free_port())],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("拒绝启动") and name in line


@pytest.mark.parametrize("name", ["ACTION_SERVER_TOKEN", "METRICS_TOKEN"])
def test_the_action_server_refuses_a_short_secret(stack: Stack, name: str) -> None:
    env = {**os.environ, **stack.env, name: "short-one"}
    result = subprocess.run(
        [str(RASA_BIN / "python"), "-m", "actions.server", "--port", str(free_port())],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and name in result.stderr
