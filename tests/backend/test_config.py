"""Settings: documented local defaults, environment overrides, early failures."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.backend.config import Settings
from bot.backend.db import normalise_database_url

VARIABLES = [
    "DATABASE_URL",
    "BACKEND_API_TOKEN",
    "BACKEND_HOST",
    "BACKEND_PORT",
    "TIMEZONE",
    "MAX_BODY_BYTES",
]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> pytest.MonkeyPatch:
    """Run without any backend variable or .env file."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    return monkeypatch


def test_defaults_are_the_documented_local_values(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.database_url == "sqlite:///var/yucai.db"
    assert settings.backend_api_token.get_secret_value() == "dev-backend-token"
    assert settings.backend_host == "127.0.0.1"
    assert settings.backend_port == 8000
    assert settings.timezone == "Asia/Shanghai"
    assert settings.max_body_bytes == 65536
    assert "dev-backend-token" not in repr(settings)


def test_environment_overrides(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("BACKEND_PORT", "9001")
    clean_env.setenv("BACKEND_API_TOKEN", "s3cret")
    clean_env.setenv("TIMEZONE", "UTC")
    settings = Settings()
    assert settings.backend_port == 9001
    assert settings.backend_api_token.get_secret_value() == "s3cret"
    assert str(settings.tz) == "UTC"


@pytest.mark.parametrize(
    ("name", "value"),
    [("TIMEZONE", "Mars/Olympus"), ("BACKEND_API_TOKEN", "  "), ("BACKEND_PORT", "0")],
)
def test_bad_values_fail_at_start(clean_env: pytest.MonkeyPatch, name: str, value: str) -> None:
    clean_env.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///var/yucai.db", "sqlite"),
    ],
)
def test_postgres_urls_use_psycopg_3(url: str, driver: str) -> None:
    assert normalise_database_url(url).drivername == driver
