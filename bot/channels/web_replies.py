"""Shape the bot's text for rasa-webchat, and the messages only the web page shows.

rasa-webchat renders bot text as Markdown. Our replies are plain text, so they
are escaped (a masked ``138****0000`` next to ``王**`` would otherwise turn
into bold text and lose its asterisks), line breaks are kept, bare links
become links (the widget opens them in a new tab), and long prose is cut at
sentence ends into bubbles a phone screen can hold. Pure standard library.
"""

from __future__ import annotations

import re

MAX_BUBBLE_CHARS = 180
# A paragraph of this many short lines is a list (a read-back): it stays one bubble.
LIST_MIN_LINES = 3
LIST_MAX_LINE_CHARS = 60

WELCOME_PAYLOAD = "/web_welcome"
POLICY_TOPICS_PAYLOAD = "/web_policy_topics"

WELCOME_TEXT = (
    "您好！我是渝才助手，为在渝科技工作者提供政策咨询和办事服务。"
    "您可以直接输入问题，也可以点下面的服务开始。\n"
    "关闭标签页后，本机不再保留聊天记录。"
)
PRIVACY_LINK_TITLE = "个人信息说明"
WELCOME_BUTTONS = (
    ("人才住房", "/request_housing"),
    ("子女入学", "/request_schooling"),
    ("就医绿色通道", "/request_hospital"),
    ("政策咨询", POLICY_TOPICS_PAYLOAD),
    ("查询申请", "/check_status"),
)
POLICY_TOPICS_TEXT = "想了解哪方面的政策？点一个主题，或者直接输入您的问题。"
POLICY_TOPICS_BUTTONS = (
    ("人才住房", "/ask_housing_policy"),
    ("子女入学", "/ask_school_policy"),
    ("就医绿色通道", "/ask_hospital_policy"),
    ("落户与人才码", "/ask_hukou"),
    ("科研经费", "/ask_funding"),
    ("成果转化", "/ask_tech_transfer"),
    ("科技金融", "/ask_finance"),
    ("用编上编", "/ask_staffing"),
    ("一站式办事", "/ask_general_service"),
)

# Characters remark (rasa-webchat's Markdown parser) treats as syntax.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!>~|])")
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#@!$&*+,;=%]+")
_URL_TRAILING = ".,;:!?"
_SENTENCE = re.compile(r"[^。！？；!?;]*[。！？；!?;]+[”’」』）)]*|[^。！？；!?;]+")


def escape_markdown(text: str) -> str:
    """Make plain text render literally in Markdown."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def to_markdown(text: str) -> str:
    """Escape one line of plain text and turn its bare http(s) links into Markdown links."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_URL_TRAILING)
        out.append(escape_markdown(text[last : match.start()]))
        out.append(f"[{escape_markdown(url)}]({url})")
        last = match.start() + len(url)
    out.append(escape_markdown(text[last:]))
    return "".join(out)


def _pieces(line: str, limit: int) -> list[str]:
    """Cut one over-long line at sentence ends into pieces of at most ``limit`` characters."""
    if len(line) <= limit:
        return [line]
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE.findall(line):
        while len(sentence) > limit:  # one endless sentence: cut it hard
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:limit])
            sentence = sentence[limit:]
        if current and len(current) + len(sentence) > limit:
            pieces.append(current)
            current = ""
        current += sentence
    if current:
        pieces.append(current)
    return pieces


def _is_list(lines: list[str]) -> bool:
    return len(lines) >= LIST_MIN_LINES and all(len(x) <= LIST_MAX_LINE_CHARS for x in lines)


def split_bubbles(text: str, limit: int = MAX_BUBBLE_CHARS) -> list[list[str]]:
    """Group a reply into bubbles of lines: blank lines and sentence ends are the cuts."""
    bubbles: list[list[str]] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
        if not lines:
            continue
        if _is_list(lines):
            bubbles.append(lines)
            continue
        bubble: list[str] = []
        used = 0
        for line in lines:
            for index, piece in enumerate(_pieces(line, limit)):
                if bubble and used + len(piece) > limit:
                    bubbles.append(bubble)
                    bubble, used = [], 0
                    bubble.append(piece)
                elif index > 0 and bubble:
                    bubble[-1] += piece  # the rest of the same line
                else:
                    bubble.append(piece)
                used += len(piece)
        if bubble:
            bubbles.append(bubble)
    return bubbles or [[""]]


def format_reply(text: str, limit: int = MAX_BUBBLE_CHARS) -> list[str]:
    """Return the Markdown of each bubble; lines inside a bubble keep their breaks."""
    bubbles = split_bubbles(text, limit)
    return ["  \n".join(to_markdown(line) for line in bubble) for bubble in bubbles]


def quick_replies(buttons: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    """Shape (title, payload) pairs the way rasa-webchat draws quick replies."""
    return [{"content_type": "text", "title": t, "payload": p} for t, p in buttons]


def channel_reply(payload: str, *, base_url: str) -> list[dict[str, object]] | None:
    """Answer the page's own commands (welcome, policy menu) without a Rasa turn."""
    buttons: tuple[tuple[str, str], ...]
    if payload == WELCOME_PAYLOAD:
        parts = format_reply(WELCOME_TEXT)
        parts[-1] += f"  \n[{PRIVACY_LINK_TITLE}]({base_url}/chat/privacy)"
        buttons = WELCOME_BUTTONS
    elif payload == POLICY_TOPICS_PAYLOAD:
        parts, buttons = format_reply(POLICY_TOPICS_TEXT), POLICY_TOPICS_BUTTONS
    else:
        return None
    messages: list[dict[str, object]] = [{"text": part} for part in parts]
    messages[-1]["quick_replies"] = quick_replies(buttons)
    return messages
