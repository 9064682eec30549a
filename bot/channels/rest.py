"""Rasa's REST channel, with the access rules of the profile and a rate limit.

``REST_CHANNEL`` decides who may talk over ``/webhooks/rest/webhook``:

- ``open`` (the default profile's default): any ``sender``, as Rasa's own
  channel; only for local development and the tests.
- ``signed`` (the production profile's default): the request must carry
  ``Authorization: Bearer <user token>``, the web chat's signed token
  (``python -m bot.channels.web_auth USER_ID``, signed with ``WEBCHAT_SECRET``);
  the conversation is the token's user, whatever ``sender`` says. A missing,
  forged or expired token gets 401 and a Chinese reply.
- ``off``: 404 for every call.

The production profile refuses to start with ``open``. Every turn counts
against the chat limits per sender and per client address; over the limit the
answer is 429 with ``Retry-After`` and a polite Chinese message.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.rate_limit import SLOW_DOWN, ChatLimits
from bot.channels.web_auth import TokenError, WebChatSettings
from bot.common import secrets as secret_rules
from bot.common.logs import HEADER, METADATA_KEY, clean_request_id, new_request_id, request_id

logger = logging.getLogger(__name__)

MODES = ("open", "signed", "off")
SIGN_IN_NEEDED = "无法确认您的身份，请从正式入口重新进入后再试。"
CHANNEL_OFF = "此接口未开放。"


def rest_mode(env: Mapping[str, str]) -> str:
    """Return the REST channel's mode for the profile, refusing an unsafe one in production."""
    production = env.get("YUCAI_PROFILE", "default").strip() == "production"
    mode = env.get("REST_CHANNEL", "").strip() or ("signed" if production else "open")
    if mode not in MODES:
        raise secret_rules.SecretError(f"REST_CHANNEL must be one of {', '.join(MODES)}")
    if production and mode == "open":
        raise secret_rules.SecretError(
            "拒绝启动：生产环境的 REST 渠道必须为 signed 或 off / "
            "refusing to start: production needs REST_CHANNEL=signed or off"
        )
    return mode


class GuardedRestInput(RestInput):
    """``rest``, as Rasa's channel, behind the profile's access rule and the chat limits."""

    @classmethod
    def name(cls) -> str:
        """Keep Rasa's channel name, so conversations and the backend see ``rest``."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Read the mode and limits from the environment; ``signed`` needs WEBCHAT_SECRET."""
        mode = rest_mode(os.environ)
        signer = None
        if mode == "signed":
            secret_rules.require("WEBCHAT_SECRET", os.environ.get("WEBCHAT_SECRET"))
            signer = WebChatSettings.from_env()
        return cls(mode=mode, signer=signer, limits=ChatLimits.from_env())

    def __init__(self, *, mode: str, signer: WebChatSettings | None, limits: ChatLimits) -> None:
        self.mode = mode
        self.signer = signer
        self.limits = limits

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """Carry the turn's request id to the action server (``latest_message.metadata``)."""
        turn_id = getattr(request.ctx, "request_id", None)
        return {METADATA_KEY: turn_id} if turn_id else None

    async def _extract_sender(self, req: Request) -> str | None:
        """Use the verified user in ``signed`` mode, the body's ``sender`` otherwise."""
        verified = getattr(req.ctx, "yucai_sender", None)
        return verified if verified else await super()._extract_sender(req)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's routes, with the access rule and the rate limit checked first."""
        bp = super().blueprint(on_new_message)

        @bp.middleware("request")
        async def identify(request: Request) -> None:
            # the caller's X-Request-ID, or a new one: on every log line of the turn
            turn_id = clean_request_id(request.headers.get(HEADER)) or new_request_id()
            request.ctx.request_id = turn_id
            request_id.set(turn_id)

        @bp.middleware("response")
        async def echo(request: Request, reply: HTTPResponse) -> None:
            turn_id = getattr(request.ctx, "request_id", None)
            if turn_id and reply is not None:
                reply.headers[HEADER] = turn_id
                logger.info("REST turn answered with %s", reply.status)

        @bp.middleware("request")
        async def guard(request: Request) -> HTTPResponse | None:
            if not request.path.endswith("/webhook"):
                return None
            if self.mode == "off":
                return response.json([{"text": CHANNEL_OFF}], status=404)
            if self.mode == "signed":
                refused = self._verify(request)
                if refused is not None:
                    return refused
            body = request.json if isinstance(request.json, dict) else {}
            sender = getattr(request.ctx, "yucai_sender", None) or str(body.get("sender") or "")
            wait = self.limits.retry_after(sender=sender, address=request.remote_addr or request.ip)
            if wait is not None:
                logger.info("REST turn refused: over the chat limit")
                return response.json(
                    [{"recipient_id": sender, "text": SLOW_DOWN}],
                    status=429,
                    headers={"Retry-After": str(wait)},
                )
            return None

        return bp

    def _verify(self, request: Request) -> HTTPResponse | None:
        assert self.signer is not None
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token:
                raise TokenError("missing")
            user_id = self.signer.verify_user_token(token.strip())
        except TokenError as exc:
            logger.info("REST turn refused: user token %s", exc)
            return response.json(
                [{"text": SIGN_IN_NEEDED}], status=401, headers={"WWW-Authenticate": "Bearer"}
            )
        request.ctx.yucai_sender = self.signer.user_sender_id(user_id)
        return None
