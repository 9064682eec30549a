"""Check what a web page sends with each message before any of it reaches Rasa.

Rasa's own socket.io channel calls ``json.loads`` on a string ``customData``
and passes anything else through, so a broken page crashes the handler and the
user waits for an answer that never comes. Here every problem becomes a
polite Chinese reply instead. Pure standard library.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MAX_MESSAGE_CHARS = 4000
MAX_CUSTOM_DATA_BYTES = 2048
MAX_CUSTOM_DATA_KEYS = 20
MAX_KEY_CHARS = 64
MAX_VALUE_CHARS = 512
TOKEN_KEY = "user_token"

Scalar = str | int | float | bool | None

MALFORMED_MESSAGE = "抱歉，这条消息的格式无法识别，没有被处理。请输入文字后重新发送。"
MALFORMED_CUSTOM_DATA = (
    "抱歉，页面随消息附带的数据（customData）格式不正确，这条消息没有被处理。"
    "请刷新页面后再试；如果问题仍然存在，请联系网站管理员。"
)
MESSAGE_TOO_LONG = f"抱歉，消息太长了（超过 {MAX_MESSAGE_CHARS} 字），没有被处理。请分几次发送。"
SESSION_EXPIRED = "抱歉，会话已失效，这条消息没有被处理。请刷新页面后继续。"
LOGIN_NOT_VERIFIED = (
    "抱歉，无法确认您的登录状态（登录可能已过期），这条消息没有被处理。请重新登录后再试。"
)
SYSTEM_ERROR = "抱歉，系统暂时出了点问题，这条消息可能没有处理成功。请稍后再试。"


class PayloadError(ValueError):
    """A message the channel refuses; ``reply`` is what the user is told."""

    def __init__(self, reply: str, reason: str) -> None:
        super().__init__(reason)
        self.reply = reply
        self.reason = reason


@dataclass(frozen=True)
class Utterance:
    """One checked ``user_uttered`` event."""

    text: str
    session_id: Any
    custom_data: dict[str, Scalar] = field(default_factory=dict)
    user_token: str | None = None


def parse_utterance(data: object, *, metadata_key: str = "customData") -> Utterance:
    """Return the checked message, or raise PayloadError with the reply to send."""
    if not isinstance(data, dict):
        raise PayloadError(MALFORMED_MESSAGE, "event data is not an object")
    text = data.get("message", "")
    if not isinstance(text, str):
        raise PayloadError(MALFORMED_MESSAGE, "message is not a string")
    if len(text) > MAX_MESSAGE_CHARS:
        raise PayloadError(MESSAGE_TOO_LONG, f"message has {len(text)} characters")
    custom = parse_custom_data(data.get(metadata_key))
    token = custom.pop(TOKEN_KEY, None)
    if token is not None and (not isinstance(token, str) or not token):
        raise PayloadError(MALFORMED_CUSTOM_DATA, f"{TOKEN_KEY} is not a non-empty string")
    return Utterance(text, data.get("session_id"), custom, token)


def parse_custom_data(raw: object) -> dict[str, Scalar]:
    """Accept a small flat object (or its JSON text); raise PayloadError for anything else."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        if len(raw.encode("utf-8")) > MAX_CUSTOM_DATA_BYTES:
            raise PayloadError(MALFORMED_CUSTOM_DATA, "customData is too large")
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise PayloadError(MALFORMED_CUSTOM_DATA, "customData is not valid JSON") from exc
    if not isinstance(raw, dict):
        raise PayloadError(MALFORMED_CUSTOM_DATA, "customData is not an object")
    if len(raw) > MAX_CUSTOM_DATA_KEYS:
        raise PayloadError(MALFORMED_CUSTOM_DATA, f"customData has {len(raw)} keys")
    checked: dict[str, Scalar] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_CHARS:
            raise PayloadError(MALFORMED_CUSTOM_DATA, "customData has a bad key")
        if isinstance(value, str):
            if len(value) > MAX_VALUE_CHARS:
                raise PayloadError(MALFORMED_CUSTOM_DATA, f"customData.{key} is too long")
        elif value is not None and not isinstance(value, bool | int | float):
            raise PayloadError(MALFORMED_CUSTOM_DATA, f"customData.{key} is not a plain value")
        checked[key] = value
    size = len(json.dumps(checked, ensure_ascii=False).encode("utf-8"))
    if size > MAX_CUSTOM_DATA_BYTES:
        raise PayloadError(MALFORMED_CUSTOM_DATA, f"customData has {size} bytes")
    return checked
