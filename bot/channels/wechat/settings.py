"""Settings of the WeChat channel, read once from the environment.

One code path serves a WeChat Official Account (公众号) and a WeCom (企业微信)
self-built app: they differ in the URL check, the token and send endpoints
and the id the messages are encrypted for (AppID or CorpID).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

OFFICIAL_ACCOUNT = "official_account"
WECOM = "wecom"
MODES = (OFFICIAL_ACCOUNT, WECOM)


class SettingsError(ValueError):
    """A WeChat setting is present but unusable."""


@dataclass(frozen=True)
class WeChatSettings:
    """Everything the channel needs; secrets come from the environment only."""

    mode: str = OFFICIAL_ACCOUNT
    app_id: str = ""  # AppID of the Official Account, or the CorpID for WeCom
    token: str = ""
    encoding_aes_key: str = ""
    app_secret: str = ""
    agent_id: str = ""  # WeCom only
    api_base_url: str = "https://api.weixin.qq.com"
    store_url: str = "sqlite:///var/wechat.db"
    reply_within_seconds: float = 4.0  # WeChat gives up after 5 s
    max_clock_skew_seconds: int = 300
    max_body_bytes: int = 16_384
    seen_ttl_seconds: int = 86_400
    choice_ttl_seconds: int = 86_400
    text_limit_bytes: int = 2000  # documented 2048 bytes; 2047 seen in practice
    max_parts: int = 5  # customer-service quota per user message
    #: the template message for status updates outside the 48-hour window (issue 15); its
    #: fields are first, keyword1 (number), keyword2 (status), keyword3 (time), remark
    status_template_id: str = ""

    @property
    def configured(self) -> bool:
        """Say whether the channel can verify and decrypt messages."""
        return bool(self.app_id and self.token and self.encoding_aes_key)

    @property
    def aes_key(self) -> bytes:
        """Return the 32-byte AES key behind the 43-character EncodingAESKey."""
        try:
            key = base64.b64decode(self.encoding_aes_key + "=", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SettingsError("WECHAT_ENCODING_AES_KEY is not valid base64") from exc
        if len(self.encoding_aes_key) != 43 or len(key) != 32:
            raise SettingsError("WECHAT_ENCODING_AES_KEY must be 43 characters (32 bytes)")
        return key

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], overrides: Mapping[str, Any] | None = None
    ) -> WeChatSettings:
        """Read WECHAT_* variables; credentials.yml keys of the same name override them."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = (overrides or {}).get(field.name)
            if raw is None:
                raw = env.get(f"WECHAT_{field.name.upper()}")
            if raw is None or str(raw).strip() == "":
                continue
            kind = type(getattr(cls, field.name))  # str, int or float, as the default
            try:
                values[field.name] = kind(str(raw).strip())
            except ValueError as exc:
                raise SettingsError(
                    f"WECHAT_{field.name.upper()} must be a {kind.__name__}"
                ) from exc
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse settings that would fail later, at the first message."""
        if self.mode not in MODES:
            raise SettingsError(f"WECHAT_MODE must be one of {', '.join(MODES)}")
        if self.encoding_aes_key:
            _ = self.aes_key
        if self.reply_within_seconds <= 0 or self.reply_within_seconds >= 5:
            raise SettingsError("WECHAT_REPLY_WITHIN_SECONDS must be between 0 and 5")
        if self.text_limit_bytes < 64 or self.max_parts < 1:
            raise SettingsError("WECHAT_TEXT_LIMIT_BYTES / WECHAT_MAX_PARTS are too small")
