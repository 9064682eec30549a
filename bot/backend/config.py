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
    timezone: str = "Asia/Shanghai"
    max_body_bytes: int = Field(default=65536, ge=1024)

    @field_validator("backend_api_token")
    @classmethod
    def _non_empty_token(cls, value: SecretStr) -> SecretStr:
        """Refuse an empty token, which would let anyone in."""
        if not value.get_secret_value().strip():
            raise ValueError("BACKEND_API_TOKEN must not be empty")
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
