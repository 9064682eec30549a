"""Turn Rasa's messages into WeChat text: numbered options and size-safe parts.

WeChat text has no buttons, so each button becomes a numbered line and the
user answers with the digit; a passive reply or a customer-service message
holds at most about 2048 bytes, so long answers are split at line breaks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.common.text import to_half_width

CHOICE_HINT = "（回复数字即可选择）"
TRUNCATED = "……（内容较长，其余部分请回复“转人工”获取）"
_DIGITS = re.compile(r"^\d{1,2}$")


@dataclass
class Answer:
    """One turn's reply: the text shown and the payloads behind its numbers."""

    text: str = ""
    choices: list[str] = field(default_factory=list)


def render(messages: Iterable[dict[str, Any]]) -> Answer:
    """Join a turn's messages; number the buttons across the whole turn."""
    blocks: list[str] = []
    choices: list[str] = []
    for message in messages:
        lines: list[str] = []
        if message.get("text"):
            lines.append(str(message["text"]).strip())
        if message.get("image"):
            lines.append(f"图片：{message['image']}")
        if message.get("attachment"):
            lines.append(str(message["attachment"]))
        for button in message.get("buttons") or []:
            title = str(button.get("title") or button.get("payload") or "").strip()
            payload = str(button.get("payload") or title)
            if title:
                choices.append(payload)
                lines.append(f"{len(choices)}. {title}")
        if lines:
            blocks.append("\n".join(lines))
    if choices:
        blocks.append(CHOICE_HINT)
    return Answer(text="\n\n".join(blocks).strip(), choices=choices)


def pick_choice(text: str, choices: list[str]) -> str | None:
    """Return the payload of option N when the user typed just N."""
    digits = to_half_width(text).strip().rstrip(".。")
    if not choices or not _DIGITS.match(digits):
        return None
    number = int(digits)
    return choices[number - 1] if 1 <= number <= len(choices) else None


def xml_safe(text: str) -> str:
    """Drop control characters XML forbids and break a CDATA terminator."""
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return kept.replace("]]>", "]] >")


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut(text: str, limit: int) -> tuple[str, str]:
    """Cut the longest head of at most `limit` bytes, at a line break if there is one."""
    head = text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
    if len(head) == len(text):
        return text, ""
    newline = head.rfind("\n")
    if newline > len(head) // 3:
        head = head[:newline]
    return head.rstrip(), text[len(head) :].lstrip()


def split_text(text: str, limit_bytes: int, max_parts: int) -> list[str]:
    """Split into parts of at most `limit_bytes` UTF-8 bytes, at most `max_parts` of them."""
    rest = xml_safe(text).strip()
    parts: list[str] = []
    while rest:
        if len(parts) == max_parts - 1 and _utf8_len(rest) > limit_bytes:
            head, _ = _cut(rest, limit_bytes - _utf8_len(TRUNCATED))
            parts.append(head + TRUNCATED)
            break
        head, rest = _cut(rest, limit_bytes)
        if head:
            parts.append(head)
    return parts
