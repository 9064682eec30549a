"""What the web chat sends: reply bubbles, and status updates only to an open page."""

from __future__ import annotations

from typing import Any

from rasa.core.channels.socketio import SocketIOOutput

from bot.channels.web_replies import format_reply, quick_replies

#: the backend's worker keeps a status update for the user's next visit when it sees this
RECIPIENT_AWAY = "status notice: recipient_away"


class RecipientAway(Exception):
    """Nobody has this conversation open: a status update must wait for the next visit."""


class WebChatOutput(SocketIOOutput):
    """Send replies as escaped Markdown bubbles that rasa-webchat renders faithfully."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Send a status update only to an open page; say so when nobody is connected.

        Raising makes Rasa's HTTP API answer 500 and not save the message, so the
        backend's outbox keeps it and offers it again at the user's next visit
        (issue 15). Presence is this instance's sockets: with two Rasa instances
        a user connected to the other one is reached on a later try, because the
        API listener balances round robin.
        """
        if isinstance(message.get("status_notice"), dict) and not self._connected(recipient_id):
            raise RecipientAway(RECIPIENT_AWAY)
        await super().send_response(recipient_id, message)

    def _connected(self, room: str) -> bool:
        rooms = getattr(self.sio.manager, "rooms", {})
        return "/" in rooms and any(True for _ in self.sio.manager.get_participants("/", room))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send one bubble per paragraph or per screenful of prose."""
        for part in format_reply(text):
            await self._send_message(recipient_id, {"text": part})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Attach the dialogue's buttons as quick replies to the last bubble."""
        messages: list[dict[str, Any]] = [{"text": part} for part in format_reply(text)]
        pairs = tuple((str(b["title"]), str(b["payload"])) for b in buttons)
        messages[-1]["quick_replies"] = quick_replies(pairs)
        for message in messages:
            await self._send_message(recipient_id, message)
