"""What every process of the production topology is told (bot/topology.prod_env)."""

from __future__ import annotations

from bot.launcher import default_env
from bot.topology import prod_env


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
