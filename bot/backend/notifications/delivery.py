"""Send one status update through Rasa, on the channel the request came from.

Why through Rasa's HTTP API rather than a WeChat client of the backend's own:
the console already delivers agents' messages this way (``rasa_client``), Rasa's
channel code renders and sends them, and the WeChat access token keeps its one
holder (a second fetcher would invalidate Rasa's token within minutes). The
update is appended to the user's conversation as a bot message carrying a
``status_notice`` in its metadata; Rasa saves it only if its channel delivered
it, so a retry never shows the user the update twice.

- WeChat: inside the 48-hour window since the user's last message (read from the
  conversation) a customer-service message, else the template message
  (``WECHAT_STATUS_TEMPLATE_ID``); the channel also falls back to the template
  when WeChat says the window has closed.
- Web chat: live to the user's open page; when nobody is connected the channel
  answers ``recipient_away`` and the worker keeps the update for their next visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from bot.backend.rasa_client import AssistantUnavailableError, RasaClient
from bot.backend.requests.lifecycle import STATUS_LABELS
from bot.backend.requests.models import ServiceRequest
from bot.common.catalogue import KINDS

#: what the web channel says when nobody has the conversation open (bot/channels/web.py)
RECIPIENT_AWAY = "recipient_away"
NEXT_STEP = {
    "accepted": "工作人员将尽快办理。",
    "in_progress": "正在办理中，请耐心等待。",
    "completed": "已办结，感谢您的耐心等待。",
    "rejected": "如有疑问，可以回复“转人工”咨询。",
}
OPT_OUT_HINT = "如不需要进度提醒，请回复“不用通知我”。"


class RecipientAway(Exception):
    """The web user has no page open: keep the update for their next visit."""


class PushFailed(Exception):
    """Rasa or the user's channel did not take the update; worth another try."""


@dataclass(frozen=True)
class Sent:
    """How the update went out."""

    via: str


def notice_text(request: ServiceRequest, status: str) -> str:
    """Write the update the user reads; no personal data beyond the request number."""
    kind = KINDS[request.kind].title if request.kind in KINDS else "服务"
    label = STATUS_LABELS.get(status, status)
    return (
        f"【办理进度】您的{kind}申请（编号 {request.number}）状态已更新为“{label}”。"
        f"{NEXT_STEP.get(status, '')}{OPT_OUT_HINT}"
    )


def last_user_message_at(events: list[dict[str, Any]]) -> datetime | None:
    """Return when the user last wrote, from the conversation's events."""
    stamps = [e.get("timestamp") for e in events if e.get("event") == "user"]
    known = [float(s) for s in stamps if isinstance(s, int | float)]
    return datetime.fromtimestamp(max(known), tz=timezone.utc) if known else None


def wechat_route(events: list[dict[str, Any]], *, now: datetime, window: timedelta) -> str:
    """Choose ``cs`` inside the customer-service window, else ``template``."""
    last = last_user_message_at(events)
    return "cs" if last is not None and now - last < window else "template"


def deliver(
    rasa: RasaClient,
    *,
    request: ServiceRequest,
    status: str,
    now: datetime,
    tz: ZoneInfo,
    wechat_window: timedelta,
    revisit: bool = False,
) -> Sent:
    """Push one update; raise RecipientAway (web, nobody connected) or PushFailed."""
    text = notice_text(request, status)
    notice: dict[str, Any] = {
        "number": request.number,
        "kind": KINDS[request.kind].title if request.kind in KINDS else request.kind,
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "updated_at": request.updated_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
    }
    try:
        if request.channel == "wechat":
            notice["via"] = wechat_route(
                rasa.events(request.sender_id), now=now, window=wechat_window
            )
        else:
            notice["via"] = "visit" if revisit else "live"
        event = {"event": "bot", "text": text, "metadata": {"status_notice": notice}}
        rasa.append(request.sender_id, [event], deliver=True, output_channel=request.channel)
    except AssistantUnavailableError as exc:
        if RECIPIENT_AWAY in exc.detail:
            raise RecipientAway() from exc
        reason = exc.detail.removeprefix("An unexpected error occurred. Error: ")
        raise PushFailed(f"未能送达：{reason[:160] or '智能助手无法连接'}") from exc
    return Sent(via=str(notice["via"]))
