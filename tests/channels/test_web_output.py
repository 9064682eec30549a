"""Status updates reach only an open web chat; otherwise the backend is told to wait."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from socketio import AsyncServer

from bot.channels.web_output import RECIPIENT_AWAY, RecipientAway, WebChatOutput

TEXT = "【办理进度】您的申请状态已更新为“已受理”。"


def notice() -> dict[str, Any]:
    """A status update as the backend appends it (Rasa's send_response consumes the dict)."""
    return {"text": TEXT, "status_notice": {"via": "live"}}


class RecordingServer(AsyncServer):
    """A socket.io server that records emits instead of writing to sockets."""

    def __init__(self) -> None:
        super().__init__(async_mode="asgi")
        self.emitted: list[tuple[str, Any, str]] = []

    async def emit(self, event: str, data: Any = None, room: str = "", **_: Any) -> None:
        """Record one emit."""
        self.emitted.append((event, data, room))


def joined(server: RecordingServer, room: str) -> None:
    """Connect one socket and put it in ``room``, as a page that asked for its session does."""
    sid = server.manager.connect(f"eio-{room}", "/")
    server.manager.enter_room(sid, "/", room)


def test_nobody_connected_means_the_update_waits() -> None:
    server = RecordingServer()
    with pytest.raises(RecipientAway, match=RECIPIENT_AWAY):
        asyncio.run(WebChatOutput(server, "bot_uttered").send_response("web-user-1", notice()))
    assert server.emitted == []


def test_an_open_page_gets_the_update_live() -> None:
    server = RecordingServer()
    joined(server, "web-user-1")
    joined(server, "web-user-2")
    asyncio.run(WebChatOutput(server, "bot_uttered").send_response("web-user-1", notice()))
    assert server.emitted == [("bot_uttered", {"text": TEXT}, "web-user-1")]


def test_ordinary_replies_do_not_ask_who_is_connected() -> None:
    server = RecordingServer()
    asyncio.run(WebChatOutput(server, "bot_uttered").send_response("web-1", {"text": "好的"}))
    assert server.emitted == [("bot_uttered", {"text": "好的"}, "web-1")]
