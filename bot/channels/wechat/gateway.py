"""One pushed WeChat message in, at most one Rasa turn and one answer out.

WeChat waits five seconds, then retries the same message (three tries in
all). So: claim the MsgId in the persistent store before Rasa sees it (a
retry finds it taken and gets `success`), answer passively when the turn is
fast, otherwise answer `success` in time and deliver through the
customer-service API once the turn ends. A retry means WeChat has given up on
the first connection, so an answer started before a retry is also sent
through the API, never into that dead connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from wechatpy.replies import TextReply

from bot.channels.rate_limit import SLOW_DOWN, ChatLimits
from bot.channels.wechat.api import CustomerServiceApi, DeliveryFailed
from bot.channels.wechat.envelope import Envelope, Rejected
from bot.channels.wechat.render import pick_choice, render, split_text, xml_safe
from bot.channels.wechat.settings import WeChatSettings
from bot.channels.wechat.store import MessageStore, StoreError
from bot.common.logs import METADATA_KEY, new_request_id, request_id

logger = logging.getLogger(__name__)

CHANNEL_NAME = "wechat"
GREET_PAYLOAD = "/greet"
PLEASE_TYPE = (
    "抱歉，我目前只能看懂文字消息。"
    "请直接用文字告诉我您想办的事或想问的政策，例如“人才住房怎么申请”。"
)
VOICE_UNCLEAR = "抱歉，这条语音我没能听清。请用文字再说一遍，好吗？"
BUSY = "抱歉，系统繁忙，请稍后再发送一次。"
TURN_FAILED = "抱歉，系统暂时出了点问题，请稍后再试，或回复“转人工”。"
REFUSED = {400: "bad request", 403: "forbidden", 413: "payload too large"}

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


@dataclass(frozen=True)
class Reply:
    """What the webhook answers WeChat."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


SUCCESS = Reply(200, "success")


@dataclass(frozen=True)
class Inbound:
    """What to do with a message: a Rasa turn, a fixed reply, or nothing."""

    kind: str  # "turn" | "canned" | "ignore"
    text: str = ""
    message_id: str | None = None


def classify(fields: Mapping[str, str]) -> Inbound:
    """Map a WeChat message type to a Rasa turn, a polite fixed reply, or silence."""
    kind = fields.get("MsgType", "").lower()
    msg_id = fields.get("MsgId") or None
    if kind == "text":
        return Inbound("turn", fields.get("Content", ""), msg_id)
    if kind == "voice":
        recognised = fields.get("Recognition", "").strip()
        return (
            Inbound("turn", recognised, msg_id) if recognised else Inbound("canned", VOICE_UNCLEAR)
        )
    if kind == "event":
        event = fields.get("Event", "").lower()
        key = fields.get("EventKey", "")
        if event == "subscribe":
            return Inbound("turn", GREET_PAYLOAD)
        if event == "click" and key.startswith("/"):
            return Inbound("turn", key)  # a custom-menu item configured with a payload
        return Inbound("ignore")
    return Inbound("canned", PLEASE_TYPE)


def dedupe_key(app_id: str, fields: Mapping[str, str]) -> str:
    """MsgId for messages; sender + create time (+ event) for events, as WeChat advises."""
    if fields.get("MsgId"):
        return f"{app_id}:msg:{fields['MsgId']}"
    return (
        f"{app_id}:event:{fields['FromUserName']}:{fields['CreateTime']}:{fields.get('Event', '')}"
    )


def short(user: str) -> str:
    """Return enough of an OpenID to follow a conversation in the logs."""
    return f"{user[:6]}…"


class _Pending:
    """A turn in progress; a retry of its message marks it for API delivery."""

    retried = False


class WeChatGateway:
    """The channel's logic, free of Sanic so it can be tested directly."""

    def __init__(
        self,
        settings: WeChatSettings,
        store: MessageStore,
        api: CustomerServiceApi,
        limits: ChatLimits | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.api = api
        #: turns per OpenID (every message comes from WeChat's servers: no per-address limit)
        self.limits = limits or ChatLimits.from_env()
        self.envelope = Envelope(settings)
        self._pending: dict[str, _Pending] = {}
        self._background: set[asyncio.Task[None]] = set()

    def verify_url(self, args: Mapping[str, str]) -> Reply:
        """Answer the server-URL check WeChat makes when the URL is saved."""
        try:
            return Reply(200, self.envelope.verify_url(args))
        except Rejected as exc:
            logger.warning("WeChat URL check refused: %s", exc.reason)
            return Reply(exc.status, REFUSED[exc.status])

    async def receive(
        self, args: Mapping[str, str], body: bytes, on_new_message: OnNewMessage
    ) -> Reply:
        """Handle one POST from WeChat and return what to answer it."""
        request_id.set(new_request_id())  # the turn, started from here, inherits it
        try:
            fields = self.envelope.open(args, body).fields
        except Rejected as exc:
            logger.warning("WeChat message refused: %s", exc.reason)
            return Reply(exc.status, REFUSED[exc.status])
        key = dedupe_key(self.settings.app_id, fields)
        try:
            first = await self.store.claim(key)
        except StoreError as exc:
            logger.error("WeChat message store unavailable (%s); asked the user to resend", exc)
            return self._passive(fields, BUSY)
        if not first:
            pending = self._pending.get(key)
            if pending is not None:
                pending.retried = True
            else:  # the turn may be running on another instance: tell it through the store
                try:
                    await self.store.mark_retried(key)
                except StoreError as exc:
                    logger.warning("cannot note a WeChat retry (%s)", exc)
            logger.info("WeChat retry of %s ignored", key)
            return SUCCESS
        inbound = classify(fields)
        if inbound.kind == "ignore":
            return SUCCESS
        if inbound.kind == "canned":
            return self._passive(fields, inbound.text)
        if self.limits.retry_after(sender=fields.get("FromUserName", ""), address=None):
            logger.info("WeChat message refused: over the chat limit")
            return self._passive(fields, SLOW_DOWN)
        return await self._answer(key, fields, inbound, on_new_message)

    async def _answer(
        self, key: str, fields: Mapping[str, str], inbound: Inbound, on_new_message: OnNewMessage
    ) -> Reply:
        """Run the turn; reply passively if it is quick, else `success` and send later."""
        user = fields["FromUserName"]
        text = await self._with_choice(user, inbound.text)
        pending = self._pending[key] = _Pending()
        turn = asyncio.ensure_future(self._turn(user, text, inbound.message_id, on_new_message))
        passive = False
        try:
            await asyncio.wait({turn}, timeout=self.settings.reply_within_seconds)
            if (
                turn.done()
                and not turn.cancelled()
                and not pending.retried
                and not await self._retried_elsewhere(key)
            ):
                parts = turn.result()
                if len(parts) <= 1:
                    passive = True
                    return self._passive(fields, parts[0]) if parts else SUCCESS
            return SUCCESS
        finally:  # also when WeChat hangs up and Sanic cancels this handler
            if passive:
                self._pending.pop(key, None)
            else:
                self._spawn(self._deliver_later(key, user, turn))

    async def _retried_elsewhere(self, key: str) -> bool:
        """Tell whether another instance saw WeChat retry this message (the store says)."""
        try:
            return await self.store.was_retried(key)
        except StoreError as exc:
            logger.warning("cannot check for WeChat retries (%s); answering passively", exc)
            return False

    async def _with_choice(self, user: str, text: str) -> str:
        """Replace a bare option number with the payload of that option."""
        try:
            choices = await self.store.load_choices(self._user_key(user))
        except StoreError as exc:
            logger.warning("cannot read WeChat options (%s); taking the text as typed", exc)
            return text
        return pick_choice(text, choices) or text

    async def _turn(
        self, user: str, text: str, message_id: str | None, on_new_message: OnNewMessage
    ) -> list[str]:
        """Run one Rasa turn and return the answer as WeChat-sized parts."""
        collector = CollectingOutputChannel()
        message = UserMessage(
            text,
            collector,
            user,
            input_channel=CHANNEL_NAME,
            message_id=message_id,
            metadata={"wechat": {"mode": self.settings.mode}, METADATA_KEY: request_id.get()},
        )
        try:
            await on_new_message(message)
        except Exception:
            logger.exception("a WeChat turn failed for %s", short(user))
            return [TURN_FAILED]
        logger.info("WeChat turn answered")
        answer = render(collector.messages)
        try:
            await self.store.save_choices(self._user_key(user), answer.choices)
        except StoreError as exc:
            logger.warning("cannot keep WeChat options (%s)", exc)
        return split_text(answer.text, self.settings.text_limit_bytes, self.settings.max_parts)

    async def _deliver_later(self, key: str, user: str, turn: asyncio.Future[list[str]]) -> None:
        """Wait for the turn, then send each part through the customer-service API."""
        try:
            parts = await turn
            for part in parts:
                await self.api.send_text(user, part)
            logger.info(
                "WeChat answer to %s sent in %d part(s) via the API", short(user), len(parts)
            )
        except DeliveryFailed as exc:
            logger.error("WeChat answer to %s not delivered: %s", short(user), exc)
        finally:
            self._pending.pop(key, None)

    def _passive(self, fields: Mapping[str, str], text: str) -> Reply:
        """Encrypt a text reply into the POST's own response."""
        reply = TextReply(
            source=fields["ToUserName"], target=fields["FromUserName"], content=xml_safe(text)
        )
        return Reply(200, self.envelope.seal(reply.render()), "application/xml; charset=utf-8")

    def _user_key(self, user: str) -> str:
        return f"{self.settings.app_id}:{user}"

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        """Let answers in flight finish, then release the store and HTTP session."""
        if self._background:
            await asyncio.wait(set(self._background), timeout=10)
        await self.api.close()
        await self.store.close()
