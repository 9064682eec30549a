"""A chat user on the web chat's socket.io channel, speaking its protocol (python-socketio)."""

from __future__ import annotations

import queue
import re
import threading
import time
from typing import Any

import socketio


class WidgetUser:
    """Connects like rasa-webchat with session persistence and collects the bot's messages."""

    def __init__(self, rasa_url: str) -> None:
        self.session_id = ""
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[str] = []
        confirmed = threading.Event()

        def on_confirm(session_id: str) -> None:
            self.session_id = session_id
            confirmed.set()

        self.sio = socketio.Client(reconnection=False)
        self.sio.on("bot_uttered", self.received.put)
        self.sio.on("session_confirm", on_confirm)
        self.sio.connect(rasa_url, socketio_path="/socket.io", transports=["polling"])
        self.sio.emit("session_request", {})  # the web channel issues a signed session id
        if not confirmed.wait(15):
            raise TimeoutError("no session_confirm from the web chat channel")

    def say(self, text: str, *, user_token: str | None = None) -> None:
        """Send a message as the user (signed in on the host site with ``user_token``)."""
        data: dict[str, Any] = {"message": text, "session_id": self.session_id}
        if user_token is not None:
            data["customData"] = {"user_token": user_token}
        self.sio.emit("user_uttered", data)

    def expect(self, fragment: str, timeout: float = 45) -> str:
        """Wait for a bot message containing ``fragment``; return its text."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.received.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            # the web chat sends Markdown (the widget renders it): drop its escapes
            text = re.sub(r"\\(.)", r"\1", str(message.get("text") or ""))
            self.seen.append(text)
            if fragment in text:
                return text
        raise AssertionError(f"no message with {fragment!r}; got {self.seen!r}")

    def quiet_for(self, seconds: float) -> list[str]:
        """Return whatever arrives within ``seconds`` (the bot should say nothing)."""
        got = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                got.append(str(self.received.get(timeout=0.2).get("text") or ""))
            except queue.Empty:
                continue
        return got

    def close(self) -> None:
        """Disconnect."""
        self.sio.disconnect()
