"""Settings of the service-request backend, read once from the environment."""

from __future__ import annotations

from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Hold every knob of the backend process; defaults are safe local dev values.

    Each field is read from the upper-case environment variable of the same
    name (``DATABASE_URL``, ``BACKEND_API_TOKEN``, ...) or from ``.env``.
    """

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    database_url: str = "sqlite:///var/yucai.db"
    backend_api_token: SecretStr = SecretStr("dev-backend-token")
    backend_host: str = "127.0.0.1"
    backend_port: int = Field(default=8000, ge=1, le=65535)
    #: uvicorn worker processes (more than one needs PostgreSQL: SQLite has one writer)
    backend_workers: int = Field(default=1, ge=1, le=16)
    timezone: str = "Asia/Shanghai"
    max_body_bytes: int = Field(default=65536, ge=1024)

    # --- hotline console (bot/console) and handoff (bot/backend/handoffs) ------
    #: where the console reaches Rasa's HTTP API (NLU parse, conversations)
    rasa_host: str = "127.0.0.1"
    rasa_port: int = Field(default=5005, ge=1, le=65535)
    rasa_api_token: SecretStr = SecretStr("dev-rasa-token")
    rasa_timeout_seconds: float = Field(default=5.0, gt=0)
    #: a console session ends after this long without use, and at the latest after the maximum
    console_session_idle_minutes: int = Field(default=30, ge=1)
    console_session_max_hours: int = Field(default=10, ge=1)
    #: send the session cookie only over HTTPS (set true behind a TLS proxy)
    console_cookie_secure: bool = False
    #: when people answer chat handoffs, e.g. "mon-fri 09:00-17:30" or "mon-sun 00:00-24:00"
    service_hours: str = "mon-fri 09:00-17:30"
    #: an agent counts as online while its console has been seen this recently
    agent_online_seconds: int = Field(default=60, ge=5)
    #: Rasa input channels that can carry an agent's replies (they push; REST cannot)
    handoff_channels: str = "socketio,wechat"
    #: a chat nobody claimed within this many seconds goes back to the bot (0: never)
    handoff_wait_seconds: int = Field(default=600, ge=0)

    @field_validator("backend_api_token")
    @classmethod
    def _non_empty_token(cls, value: SecretStr) -> SecretStr:
        """Refuse an empty token, which would let anyone in."""
        if not value.get_secret_value().strip():
            raise ValueError("BACKEND_API_TOKEN must not be empty")
        return value

    @field_validator("service_hours")
    @classmethod
    def _readable_hours(cls, value: str) -> str:
        """Fail at start-up on service hours nobody could apply."""
        from bot.backend.handoffs.hours import parse_service_hours

        parse_service_hours(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        """Fail at start-up rather than at the first request on a typo."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone: {value!r}") from exc
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        """Return the local time zone used for request numbers and date checks."""
        return ZoneInfo(self.timezone)
