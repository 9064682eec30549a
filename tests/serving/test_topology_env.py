"""What every process of the production topology is told (bot/topology.prod_env)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.common.secrets import SecretError, generated_env
from bot.launcher import default_env
from bot.rasa_server import run_arguments
from bot.topology import Topology, prod_env


def test_the_defaults_wire_the_processes_together() -> None:
    env = prod_env(default_env())
    assert env["DATABASE_URL"] == "postgresql+psycopg://yucai_backend@127.0.0.1:5432/yucai"
    assert env["TRACKER_DB_NAME"] == "yucai_rasa" and env["TRACKER_DB_USER"] == "yucai_rasa"
    assert env["ACTION_ENDPOINT_URL"] == f"http://127.0.0.1:{env['ACTION_LB_PORT']}/webhook"
    assert env["RASA_PORT"] == env["YUCAI_INTERNAL_PORT"]  # the console goes through HAProxy
    assert env["WEBCHAT_REDIS_URL"].startswith("redis://")  # an empty .env value is no value
    assert env["WECHAT_STORE_URL"].startswith("redis://")
    assert f"http://127.0.0.1:{env['YUCAI_PUBLIC_PORT']}" in env["WEBCHAT_ALLOWED_ORIGINS"]
    assert env["RASA_TELEMETRY_ENABLED"] == "false"
    assert env["BACKEND_WORKERS"] == "2"
    # an action and its retries end before Rasa stops waiting, which is before the lock ends
    timeout = float(env["ACTION_TIMEOUT_SECONDS"])
    assert float(env["SUBMIT_RETRY_SECONDS"]) < timeout < float(env["TICKET_LOCK_LIFETIME"])


def test_passwords_and_overrides_are_used() -> None:
    env = prod_env(
        {**default_env(), "BACKEND_DB_PASSWORD": "s3cret", "ACTIONS_BACKEND_URL": "http://x:1"}
    )
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://yucai_backend:s3cret@")
    assert env["BACKEND_URL"] == "http://x:1"


def test_the_topology_runs_the_production_profile_on_issue_11s_secrets() -> None:
    env = prod_env(default_env())
    assert env["YUCAI_PROFILE"] == "production"
    assert env["REST_CHANNEL"] == "signed" and env["REQUEST_NUMBERS"] == "random"
    assert env["SANIC_PROXIES_COUNT"] == "1"  # one HAProxy in front of the chat limits
    # the backend's purge reaches Rasa's conversations on PostgreSQL, not a local SQLite file
    assert env["TRACKER_STORE_URL"] == "postgresql+psycopg://yucai_rasa@127.0.0.1:5432/yucai_rasa"
    topology = Topology(env=env, model=Path("models/yucai.tar.gz"))
    rasa = topology._rasa(1).command
    assert "--auth-token" not in rasa and "run" not in rasa  # bot.serving adds `run` and the JWT
    assert rasa[rasa.index("-m") + 1] == "bot.serving"
    actions = topology._actions(1).command
    assert actions[actions.index("-m") + 1] == "actions.server"  # behind ACTION_SERVER_TOKEN


def test_the_rasa_side_refuses_weak_secrets_and_adds_the_jwt_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in generated_env().items():
        monkeypatch.setenv(name, value)
    arguments = run_arguments(["--enable-api", "--port", "5005"])
    assert arguments[:3] == ["rasa", "run", "--enable-api"]
    assert arguments[-3:] == [
        f"--jwt-secret={os.environ['RASA_API_TOKEN']}",
        "--jwt-method",
        "HS256",
    ]
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "dev-backend-token")
    with pytest.raises(SecretError):
        run_arguments(["--enable-api"])


def test_a_secret_starting_with_a_dash_reaches_rasa_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.__main__ import create_argument_parser

    for name, value in generated_env().items():
        monkeypatch.setenv(name, value)
    secret = "-" + generated_env()["RASA_API_TOKEN"][1:]  # token_urlsafe may start with "-"
    monkeypatch.setenv("RASA_API_TOKEN", secret)
    parsed = create_argument_parser().parse_args(run_arguments(["--enable-api"])[1:])
    assert parsed.jwt_secret == secret and parsed.jwt_method == "HS256"
