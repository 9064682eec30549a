"""The Rasa input channel: /webhooks/wechat/webhook for WeChat and WeCom.

Registered in credentials.yml as `bot.channels.wechat.WeChatInput`; settings
come from WECHAT_* environment variables (see .env.example). The request body
is read as a stream and cut off at WECHAT_MAX_BODY_BYTES, so an oversized
POST is refused before it is held in memory.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.wechat.api import CustomerServiceApi
from bot.channels.wechat.gateway import CHANNEL_NAME, REFUSED, OnNewMessage, Reply, WeChatGateway
from bot.channels.wechat.push import WeChatPushOutput
from bot.channels.wechat.settings import WeChatSettings
from bot.channels.wechat.store import open_store
from bot.common import secrets as secret_rules

logger = logging.getLogger(__name__)

NOT_CONFIGURED = Reply(503, "wechat channel is not configured")


class BodyTooLarge(Exception):
    """The POST body is larger than the configured limit."""


async def read_body(request: Request, limit: int) -> bytes:
    """Read a streamed body, giving up as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    stream = request.stream
    if stream is None:
        return bytes(request.body or b"")
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await stream.read()
        if chunk is None:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)


def to_response(reply: Reply) -> HTTPResponse:
    """Turn the gateway's answer into a Sanic response."""
    return response.text(reply.body, status=reply.status, content_type=reply.content_type)


class WeChatInput(InputChannel):
    """WeChat Official Account / WeCom self-built app, safe mode only."""

    @classmethod
    def name(cls) -> str:
        """Return the channel name Rasa records as the input channel."""
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build the channel from the environment; credentials.yml may override keys.

        Refuses to start on a missing, placeholder or short WeChat secret.
        """
        settings = WeChatSettings.from_env(os.environ, credentials or {})
        secret_rules.require("WECHAT_TOKEN", settings.token)
        secret_rules.require("WECHAT_ENCODING_AES_KEY", settings.encoding_aes_key)
        secret_rules.require("WECHAT_APP_SECRET", settings.app_secret)
        return cls(settings)

    def __init__(self, settings: WeChatSettings) -> None:
        self.settings = settings
        self._gateway: WeChatGateway | None = None
        if not settings.configured:
            logger.warning(
                "WeChat channel mounted but not configured: set WECHAT_APP_ID, "
                "WECHAT_TOKEN and WECHAT_ENCODING_AES_KEY"
            )

    def get_output_channel(self) -> OutputChannel | None:
        """Let messages outside a user's turn (handoff replies) go out through the API."""
        return WeChatPushOutput(self.gateway()) if self.settings.configured else None

    def gateway(self) -> WeChatGateway:
        """Create the gateway inside the server's event loop, once."""
        if self._gateway is None:
            s = self.settings
            store = open_store(
                s.store_url, seen_ttl=s.seen_ttl_seconds, choice_ttl=s.choice_ttl_seconds
            )
            self._gateway = WeChatGateway(s, store, CustomerServiceApi(s))
        return self._gateway

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Mount the health check, the URL check and the message webhook."""
        bp = Blueprint("wechat_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.settings.configured})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self.settings.configured:
                return to_response(NOT_CONFIGURED)
            args = {key: request.args.get(key) for key in request.args}
            return to_response(self.gateway().verify_url(args))

        @bp.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            if not self.settings.configured:
                return to_response(NOT_CONFIGURED)
            try:
                body = await read_body(request, self.settings.max_body_bytes)
            except BodyTooLarge:
                logger.warning(
                    "WeChat message refused: body over %d bytes", self.settings.max_body_bytes
                )
                return to_response(Reply(413, REFUSED[413]))
            args = {key: request.args.get(key) for key in request.args}
            return to_response(await self.gateway().receive(args, body, on_new_message))

        @bp.listener("after_server_stop")
        async def close(*_: Any) -> None:
            if self._gateway is not None:
                await self._gateway.close()

        return bp
