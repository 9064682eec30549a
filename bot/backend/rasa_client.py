"""The backend's only way to Rasa: its HTTP API (NLU parse and conversations).

The handoff sweeper and the console's call screen and handoff pages use it.

It never touches Rasa's stores. Rasa runs in JWT mode (``bot/rasa_server.py``):
every call carries a short-lived admin JWT signed with ``RASA_API_TOKEN`` in the
``Authorization`` header, never a token in the query string, which would land
in access logs.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import FastAPI

from bot.backend.config import Settings
from bot.backend.errors import ApiError
from bot.common import rasa_jwt

logger = logging.getLogger(__name__)


class AssistantUnavailableError(ApiError):
    """Rasa could not be reached or failed; the agent can go on by hand."""

    status_code = 503
    code = "assistant_unavailable"
    default_message = "智能助手暂时无法连接，请稍后再试；您可以先手工填写。"
    #: the start of Rasa's error body, for callers that tell failures apart (notifications)
    detail: str = ""


class RasaClient:
    """A small synchronous client of Rasa's HTTP API."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        self._token = settings.rasa_api_token.get_secret_value()
        self._client = httpx.Client(
            base_url=f"http://{settings.rasa_host}:{settings.rasa_port}",
            timeout=httpx.Timeout(settings.rasa_timeout_seconds, connect=2.0),
            transport=transport,
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()

    def parse(self, text: str) -> dict[str, Any]:
        """Run NLU only: intent, confidence, entities and response selector predictions."""
        return dict(self._call("POST", "/model/parse", json={"text": text}))

    def events(self, sender_id: str) -> list[dict[str, Any]]:
        """Return every event of a conversation, oldest first."""
        state = self._call(
            "GET", f"{self._conversation(sender_id)}/tracker", params={"include_events": "ALL"}
        )
        return list(state.get("events") or [])

    def append(
        self,
        sender_id: str,
        events: list[dict[str, Any]],
        *,
        deliver: bool,
        output_channel: str = "latest",
    ) -> None:
        """Append events; with ``deliver`` bot messages go out on the user's own channel.

        ``output_channel`` names the Rasa channel to deliver on (``latest``: the
        one the user spoke on last); Rasa saves the events only if delivery worked.
        """
        params = {"output_channel": output_channel, "execute_side_effects": str(deliver).lower()}
        self._call(
            "POST", f"{self._conversation(sender_id)}/tracker/events", json=events, params=params
        )

    def trigger_intent(self, sender_id: str, intent: str) -> None:
        """Let the bot react to an external event, answering on the user's channel."""
        self._call(
            "POST",
            f"{self._conversation(sender_id)}/trigger_intent",
            json={"name": intent, "entities": []},
            params={"output_channel": "latest"},
        )

    @staticmethod
    def _conversation(sender_id: str) -> str:
        return f"/conversations/{quote(sender_id, safe='')}"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = rasa_jwt.auth_header(self._token, subject="backend")
        try:
            response = self._client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            logger.warning(
                "Rasa %s %s unreachable: %s", method, path.split("/")[1], type(exc).__name__
            )
            raise AssistantUnavailableError() from exc
        if response.status_code >= 400:
            logger.warning(
                "Rasa %s %s answered %s", method, path.split("/")[1], response.status_code
            )
            error = AssistantUnavailableError()
            error.detail = _error_message(response)
            raise error
        try:
            return response.json()
        except ValueError as exc:
            raise AssistantUnavailableError() from exc


def _error_message(response: httpx.Response) -> str:
    """Return the message of Rasa's error body (its channel's reason), shortened."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or response.text)[:300]


def rasa_for(app: FastAPI) -> RasaClient:
    """Return the app's Rasa client, created on first use and closed at shutdown."""
    client: RasaClient | None = getattr(app.state, "rasa", None)
    if client is None:
        client = RasaClient(app.state.settings)
        app.state.rasa = client
    return client
