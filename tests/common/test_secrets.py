"""Secrets: what is too weak to start with, and what make run generates."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.common import secrets
from bot.launcher import ROOT


@pytest.mark.parametrize("name", list(secrets.SECRETS))
def test_generated_secrets_pass_and_differ(name: str) -> None:
    first, second = secrets.generate(name), secrets.generate(name)
    assert secrets.weakness(name, first) is None
    assert first != second


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("BACKEND_API_TOKEN", None, "未设置"),
        ("BACKEND_API_TOKEN", "   ", "未设置"),
        ("BACKEND_API_TOKEN", "dev-backend-token", "占位"),
        ("RASA_API_TOKEN", "dev-rasa-token", "占位"),
        ("WEBCHAT_SECRET", "dev-webchat-secret", "占位"),
        ("WEBCHAT_SECRET", "generated-by-make-run", "占位"),
        ("ID_NUMBER_KEY", "a" * 64, "太短"),
        ("ACTION_SERVER_TOKEN", "s3cret-but-only-twenty", "太短"),
        ("WECHAT_TOKEN", "dev-wechat-token", "占位"),
        ("WECHAT_TOKEN", "short123", "32"),
        ("WECHAT_ENCODING_AES_KEY", "eXVjYWktbG9jYWwtZGV2LWtleS1ub3QtYS1zZWNyZXQ", "占位"),
        ("WECHAT_APP_SECRET", "dev-wechat-secret", "占位"),
    ],
)
def test_weak_secrets_are_refused_in_one_line(name: str, value: str | None, reason: str) -> None:
    with pytest.raises(secrets.SecretError) as refused:
        secrets.require(name, value)
    message = str(refused.value)
    assert "\n" not in message and name in message and reason in message
    assert message.startswith("拒绝启动") and "refusing to start" in message


def test_no_value_in_env_example_can_start_anything() -> None:
    example = secrets.read_env_file(ROOT / ".env.example")
    for name in secrets.SECRETS:
        assert name in example, f"{name} is not documented in .env.example"
        assert secrets.weakness(name, example[name]) is not None


def test_make_run_writes_missing_secrets_once(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("BACKEND_PORT=9000\nWEBCHAT_SECRET=\n", encoding="utf-8")
    written = secrets.ensure_env_file(env_file, {"RASA_API_TOKEN": "from-the-environment"})
    assert set(written) == set(secrets.SECRETS) - {"RASA_API_TOKEN"}
    values = secrets.read_env_file(env_file)
    assert values["BACKEND_PORT"] == "9000"
    assert all(secrets.weakness(name, values[name]) is None for name in written)
    assert env_file.stat().st_mode & 0o077 == 0
    assert secrets.ensure_env_file(env_file, {"RASA_API_TOKEN": "x"}) == []
    assert secrets.read_env_file(env_file) == values
