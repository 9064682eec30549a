"""Settings of the service-request backend, read once from the environment."""

from __future__ import annotations

import sys
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.backend.requests.idcrypt import IdNumberVault
from bot.common import secrets as secret_rules


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
    #: ``default`` (local development) or ``production`` (README: security)
    yucai_profile: Literal["default", "production"] = "default"
    #: ``random`` numbers with a check letter; ``sequential`` only for development and tests
    request_numbers: Literal["random", "sequential"] = "random"
    #: encrypts resident ID numbers at rest and keys their lookup hash (32 random bytes)
    id_number_key: SecretStr = SecretStr("")
    #: Prometheus's bearer token for GET /metrics (empty: the page answers 404)
    metrics_token: SecretStr = SecretStr("")

    # --- retention (python -m bot.backend.cli purge) ------------------------
    #: conversations (tracker events, handoff messages) idle this long are anonymised
    conversation_retention_days: int = Field(default=30, ge=1)
    #: how often the production profile runs the purge (it also masks numbers in
    #: finished forms of the tracker store, so this bounds how long they stay raw)
    purge_interval_minutes: int = Field(default=60, ge=1)
    #: Rasa's SQL tracker store, which the purge anonymises too (empty: skip it)
    tracker_store_url: str = "sqlite:///var/rasa_tracker.db"

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
    #: when people answer handoffs: "workdays 09:00-17:30" (China's calendar, holidays
    #: closed, 调休 days open), "mon-fri 09:00-17:30" (plain weekdays), "mon-sun 00:00-24:00"
    service_hours: str = "workdays 09:00-17:30"
    #: an agent counts as online while its console has been seen this recently
    agent_online_seconds: int = Field(default=60, ge=5)
    #: Rasa input channels that can carry an agent's replies (they push; REST cannot)
    handoff_channels: str = "socketio,wechat"
    #: a chat nobody claimed within this many seconds goes back to the bot (0: never)
    handoff_wait_seconds: int = Field(default=600, ge=0)

    # --- status updates pushed to the applicant (bot/backend/notifications) -------
    #: how often the outbox worker looks for owed updates (0: no worker in this process)
    notify_interval_seconds: float = Field(default=2.0, ge=0)
    #: tries per update (tenacity, exponential back-off from NOTIFY_RETRY_SECONDS) before
    #: it is listed as failed in the console
    notify_attempts: int = Field(default=3, ge=1, le=10)
    notify_retry_seconds: float = Field(default=1.0, ge=0)
    #: a web user who is not connected is looked for again this often, for at most these days
    notify_visit_poll_seconds: int = Field(default=10, ge=1)
    notify_visit_days: int = Field(default=30, ge=1)
    #: WeChat's customer-service window since the user's last message; later: a template message
    wechat_service_window_hours: float = Field(default=48, gt=0)

    @field_validator("backend_api_token")
    @classmethod
    def _non_empty_token(cls, value: SecretStr) -> SecretStr:
        """Refuse an empty token, which would let anyone in."""
        if not value.get_secret_value().strip():
            raise ValueError(secret_rules.refusal("BACKEND_API_TOKEN 未设置 / is not set"))
        return value

    def refuse_weak_secrets(self) -> None:
        """Stop a serving process on a missing, placeholder or short secret (bot.common.secrets)."""
        secret_rules.require("BACKEND_API_TOKEN", self.backend_api_token.get_secret_value())
        secret_rules.require("RASA_API_TOKEN", self.rasa_api_token.get_secret_value())
        secret_rules.require("ID_NUMBER_KEY", self.id_number_key.get_secret_value())
        secret_rules.require("METRICS_TOKEN", self.metrics_token.get_secret_value())
        if self.yucai_profile == "production" and self.request_numbers != "random":
            raise secret_rules.SecretError(
                "拒绝启动：生产环境必须使用随机申请编号 / "
                "refusing to start: production needs REQUEST_NUMBERS=random"
            )

    @cached_property
    def id_vault(self) -> IdNumberVault | None:
        """Return the vault that seals resident ID numbers (None without a key)."""
        key = self.id_number_key.get_secret_value().strip()
        return IdNumberVault(key) if key else None

    @property
    def production(self) -> bool:
        """Tell whether the production profile's stricter rules apply."""
        return self.yucai_profile == "production"

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


def load_settings() -> Settings:
    """Read the settings for a process entry point; unusable ones end it with one line."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first.get("msg", "")).removeprefix("Value error, ")
        where = ".".join(str(part) for part in first.get("loc", ())).upper()
        print(message if message.startswith("拒绝启动") else f"{where}: {message}", file=sys.stderr)
        raise SystemExit(2) from None
