"""The web chat: Rasa's socket.io channel made safe for a public page, plus the page itself.

Loaded by the Rasa server from credentials.yml (``bot.channels.web.WebChatInput``).
On top of Rasa's ``SocketIOInput`` it

- refuses browsers from origins outside the allow-list (Rasa hard-codes "no check");
- issues signed session ids, so a page cannot pick another user's conversation;
- binds a conversation to a logged-in user when the page sends a signed token;
- checks ``customData`` and answers a broken message politely instead of crashing;
- serves ``/chat`` (the page), the widget loader and the rasa-webchat bundle from
  the same origin as the socket, so the page needs no CDN and no CORS.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from bot.channels.rate_limit import SLOW_DOWN, ChatLimits
from bot.channels.web_auth import TokenError, WebChatSettings
from bot.channels.web_output import WebChatOutput
from bot.channels.web_payload import (
    LOGIN_NOT_VERIFIED,
    SESSION_EXPIRED,
    SYSTEM_ERROR,
    PayloadError,
    Utterance,
    parse_utterance,
)
from bot.channels.web_replies import channel_reply
from bot.common import secrets as secret_rules
from bot.common.logs import METADATA_KEY, new_request_id, request_id

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
STATIC_DIR = Path(__file__).resolve().with_name("web_static")
BUNDLE = ROOT / "node_modules" / "rasa-webchat" / "lib" / "index.js"
# The bundle's CSS imports a font from Google: a third party that sees every
# visitor, and unreachable from mainland China (pages would wait for it).
GOOGLE_FONTS_IMPORT = (
    b"@import url(https://fonts.googleapis.com/css?family=Inter:400,500,700&display=swap);"
)
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?")
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# React writes inline styles; the socket connects back to this origin only.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


class _PageBlueprint(SocketBlueprint):
    """Attach socket.io and the chat page's routes (at /chat, outside /webhooks)."""

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        """Add the page routes once, then let Rasa's blueprint attach socket.io."""
        add_page_routes(app)
        super().register(app, options)


def add_page_routes(app: Sanic) -> None:
    """Serve the page, the privacy note, the widget loader and the rasa-webchat bundle."""

    async def page(_: Request) -> HTTPResponse:
        return await _file(STATIC_DIR / "chat.html", "text/html; charset=utf-8", page=True)

    async def privacy(_: Request) -> HTTPResponse:
        return await _file(STATIC_DIR / "privacy.html", "text/html; charset=utf-8", page=True)

    async def widget(_: Request) -> HTTPResponse:
        return await _file(STATIC_DIR / "widget.js", "application/javascript; charset=utf-8")

    async def style(_: Request) -> HTTPResponse:
        return await _file(STATIC_DIR / "chat.css", "text/css; charset=utf-8")

    loaded: list[bytes] = []

    async def bundle(_: Request) -> HTTPResponse:
        if not loaded:
            if not BUNDLE.exists():
                logger.error("rasa-webchat is not installed (%s): run `make web`", BUNDLE)
                return response.text(
                    "聊天组件尚未安装，请管理员运行 make web。", status=503, headers=PAGE_HEADERS
                )
            loaded.append(BUNDLE.read_bytes().replace(GOOGLE_FONTS_IMPORT, b""))
        return response.raw(
            loaded[0],
            content_type="application/javascript; charset=utf-8",
            headers={**PAGE_HEADERS, "Cache-Control": "public, max-age=3600"},
        )

    for handler, uri in (
        (page, "/chat"),
        (privacy, "/chat/privacy"),
        (widget, "/chat/widget.js"),
        (style, "/chat/chat.css"),
        (bundle, "/chat/webchat.js"),
    ):
        app.add_route(handler, uri, methods=["GET"], name=f"webchat_{handler.__name__}")


async def _file(path: Path, mime_type: str, *, page: bool = False) -> HTTPResponse:
    headers = dict(PAGE_HEADERS)
    if page:
        headers["Content-Security-Policy"] = PAGE_CSP
    return await response.file(path, mime_type=mime_type, headers=headers)


def client_address(environ: dict[str, Any]) -> str:
    """Return the browser's address; behind the production listener, the one it forwarded.

    ``SANIC_PROXIES_COUNT=1`` (the production profile, one HAProxy in front)
    makes Sanic trust the last ``X-Forwarded-For`` hop; the socket.io
    handshake follows the same rule.
    """
    forwarded = str(environ.get("HTTP_X_FORWARDED_FOR") or "")
    if os.environ.get("SANIC_PROXIES_COUNT", "0").strip() not in {"", "0"} and forwarded:
        return forwarded.split(",")[-1].strip()
    return str(environ.get("REMOTE_ADDR") or "")


class WebChatInput(SocketIOInput):
    """Rasa's socket.io channel with an origin allow-list, signed sessions and checked input."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build the channel from credentials.yml and the secrets from the environment.

        Refuses to start on a missing, placeholder or short WEBCHAT_SECRET.
        """
        credentials = credentials or {}
        secret_rules.require("WEBCHAT_SECRET", os.environ.get("WEBCHAT_SECRET"))
        return cls(
            WebChatSettings.from_env(),
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            namespace=credentials.get("namespace"),
            session_persistence=credentials.get("session_persistence", True),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
            metadata_key=credentials.get("metadata_key", "customData"),
            redis_url=credentials.get("redis_url") or os.environ.get("WEBCHAT_REDIS_URL") or None,
        )

    def __init__(
        self, settings: WebChatSettings, *, redis_url: str | None = None, **kwargs: Any
    ) -> None:
        """Keep the settings; everything else is Rasa's socket.io channel.

        With ``redis_url`` (WEBCHAT_REDIS_URL) every emit goes through Redis
        pub/sub, so a reply sent by one Rasa instance (an agent's message,
        appended through another instance's HTTP API) reaches the socket held
        by whichever instance the browser is connected to.
        """
        super().__init__(**kwargs)
        self.settings = settings
        self.limits = ChatLimits.from_env()
        self.redis_url = redis_url

    def get_output_channel(self) -> OutputChannel | None:
        """Let reminders and external events use the same reply shaping."""
        return WebChatOutput(self.sio, self.bot_message_evt) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Wire the socket.io events; a refused message gets a reply, never silence."""
        settings, namespace = self.settings, self.namespace
        manager = (
            AsyncRedisManager(self.redis_url, channel="yucai-webchat") if self.redis_url else None
        )
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=lambda origin, _environ: settings.origin_allowed(origin),
            client_manager=manager,
        )
        self.sio = sio
        bp = _PageBlueprint(sio, self.socketio_path, "webchat_socketio", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def say(sid: str, text: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=namespace)

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: dict[str, Any], _auth: Any = None) -> bool:
            host = str(environ.get("HTTP_HOST", ""))
            scheme = "https" if environ.get("wsgi.url_scheme") == "https" else "http"
            base = f"{scheme}://{host}" if _HOST.fullmatch(host) else ""
            address = client_address(environ)
            await sio.save_session(sid, {"base_url": base, "address": address}, namespace=namespace)
            return True

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any) -> None:
            wanted = data.get("session_id") if isinstance(data, dict) else None
            session_id = wanted if settings.session_id_valid(wanted) else settings.new_session_id()
            if self.session_persistence:
                sio.enter_room(sid, session_id, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any) -> None:
            # each socket.io event runs in its own task: the id is this turn's only
            turn_id = new_request_id()
            request_id.set(turn_id)
            try:
                utterance = parse_utterance(data, metadata_key=self.metadata_key or "customData")
                sender_id, logged_in = self._sender(sid, utterance)
            except PayloadError as exc:
                logger.info("web chat refused a message: %s", exc.reason)
                await say(sid, exc.reply)
                return
            session = await sio.get_session(sid, namespace=namespace)
            wait = self.limits.retry_after(sender=sender_id, address=session.get("address"))
            if wait is not None:
                logger.info("web chat refused a message: over the chat limit")
                await say(sid, SLOW_DOWN)
                return
            local = channel_reply(utterance.text.strip(), base_url=session.get("base_url", ""))
            if local is not None:
                for message in local:
                    await sio.emit(self.bot_message_evt, message, room=sid, namespace=namespace)
                return
            message = UserMessage(
                utterance.text,
                WebChatOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                metadata={
                    **utterance.custom_data,
                    "logged_in": logged_in,
                    METADATA_KEY: turn_id,
                },
            )
            try:
                await on_new_message(message)
            except Exception:  # the boundary: log it, tell the user, keep serving
                logger.exception("web chat could not handle a message")
                await say(sid, SYSTEM_ERROR)
            else:
                logger.info("web chat turn answered")

        return bp

    def _sender(self, sid: str, utterance: Utterance) -> tuple[str, bool]:
        """Return whose conversation this message belongs to, joining its room."""
        if utterance.user_token is not None:
            try:
                user_id = self.settings.verify_user_token(utterance.user_token)
            except TokenError as exc:
                raise PayloadError(LOGIN_NOT_VERIFIED, f"user token {exc}") from exc
            sender_id = self.settings.user_sender_id(user_id)
        elif not self.session_persistence:
            return sid, False
        elif self.settings.session_id_valid(utterance.session_id):
            sender_id = str(utterance.session_id)
        else:
            raise PayloadError(SESSION_EXPIRED, "session id missing or not issued here")
        assert self.sio is not None
        self.sio.enter_room(sid, sender_id, namespace=self.namespace)
        return sender_id, utterance.user_token is not None
