"""Messages to a WeChat user outside their own turn, through the customer-service API.

Rasa uses this output channel when something other than the user's message
makes the bot speak: a hotline agent's replies during a handoff and the bot
taking over again afterwards (bot/console). WeChat allows such messages within
48 hours of the user's last message, which a live handoff always is.

A status update (issue 15: a bot message whose metadata has ``status_notice``,
appended by the backend's outbox worker) says which way to go: ``cs`` inside
the window, ``template`` outside it (the template ``WECHAT_STATUS_TEMPLATE_ID``);
when WeChat answers that the window has closed after all, the template is used.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.channel import OutputChannel

from bot.channels.wechat.api import WINDOW_CLOSED, DeliveryFailed
from bot.channels.wechat.gateway import CHANNEL_NAME, WeChatGateway
from bot.channels.wechat.render import render, split_text
from bot.channels.wechat.settings import WECOM
from bot.channels.wechat.store import StoreError

logger = logging.getLogger(__name__)


class WeChatPushOutput(OutputChannel):
    """Send each message as customer-service texts, numbering its buttons as a turn does."""

    @classmethod
    def name(cls) -> str:
        """Return the channel name, the same as the input channel's."""
        return CHANNEL_NAME

    def __init__(self, gateway: WeChatGateway) -> None:
        self.gateway = gateway

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Deliver one message; raise DeliveryFailed so the sender learns it did not arrive."""
        notice = message.get("status_notice")
        if isinstance(notice, dict):
            await self._send_notice(recipient_id, str(message.get("text") or ""), notice)
            return
        answer = render([message])
        settings = self.gateway.settings
        if answer.choices:
            try:
                await self.gateway.store.save_choices(
                    f"{settings.app_id}:{recipient_id}", answer.choices
                )
            except StoreError as exc:
                logger.warning("cannot keep WeChat options (%s)", exc)
        for part in split_text(answer.text, settings.text_limit_bytes, settings.max_parts):
            try:
                await self.gateway.api.send_text(recipient_id, part)
            except DeliveryFailed:
                logger.error("WeChat push not delivered")
                raise

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send a plain text (what Rasa calls for reminders and similar pushes)."""
        await self.send_response(recipient_id, {"text": text})

    async def _send_notice(self, recipient_id: str, text: str, notice: dict[str, Any]) -> None:
        """Send a status update: a customer-service text in the window, else the template."""
        settings = self.gateway.settings
        if notice.get("via") != "template" or settings.mode == WECOM:  # WeCom has no window
            try:
                await self.gateway.api.send_text(recipient_id, text)
                return
            except DeliveryFailed as exc:
                if exc.code not in WINDOW_CLOSED or settings.mode == WECOM:
                    logger.error("WeChat status update not delivered")
                    raise
                logger.info("WeChat window closed; sending the status update as a template")
        if not settings.status_template_id:
            raise DeliveryFailed("WECHAT_STATUS_TEMPLATE_ID is not set: no template message")
        fields = {
            "first": "您的申请办理进度有更新。",
            "keyword1": str(notice.get("number", "")),
            "keyword2": f"{notice.get('kind', '')}：{notice.get('status_label', '')}",
            "keyword3": str(notice.get("updated_at", "")),
            "remark": "如不需要进度提醒，请回复“不用通知我”。",
        }
        await self.gateway.api.send_template(recipient_id, settings.status_template_id, fields)
