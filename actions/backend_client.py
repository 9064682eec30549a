"""The only code that talks to the service-request backend (over HTTP).

It knows nothing about Rasa: it takes and returns plain dicts and raises the
typed exceptions below, which the actions turn into polite Chinese replies.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache
from typing import Any

import requests

from actions import metrics
from actions.settings import ActionSettings, get_settings
from bot.common.logs import HEADER, request_id

logger = logging.getLogger(__name__)

_CACHE_SECONDS = 300.0


class BackendCallError(Exception):
    """Base class of every backend failure."""

    def __init__(self, message: str = "办理系统暂时无法处理该请求。") -> None:
        super().__init__(message)
        self.message = message


class BackendUnavailable(BackendCallError):
    """The backend could not be reached, timed out or failed (5xx): try later."""


class RequestNotFound(BackendCallError):
    """No request matches the number and phone proof (deliberately vague)."""


class TooManyAttempts(BackendCallError):
    """Too many failed proofs for this number or sender: the backend locked it for a while."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("尝试次数过多，已暂时锁定。")
        self.retry_after = retry_after


class BackendRejected(BackendCallError):
    """The backend refused the data (4xx) with a reason for the user."""

    def __init__(self, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.fields = fields or {}


class BackendClient:
    """A small typed wrapper over the backend's REST API (bot/backend/API.md)."""

    def __init__(self, settings: ActionSettings, session: requests.Session | None = None) -> None:
        self._settings = settings
        self._session = session or requests.Session()
        self._session.headers.update({"Authorization": f"Bearer {settings.backend_token}"})
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    # --- reference data ------------------------------------------------------
    def list_hospitals(self) -> list[dict[str, Any]]:
        """Return the designated hospitals with their departments (cached)."""
        return self._cached("hospitals", lambda: self._call("GET", "/api/v1/reference/hospitals"))

    def get_consent_notice(self, kind: str) -> dict[str, Any]:
        """Return the current personal-data notice for a request kind (cached)."""
        return self._cached(
            f"notice:{kind}", lambda: self._call("GET", f"/api/v1/consent/notices/{kind}")
        )

    # --- service requests ----------------------------------------------------
    def create_request(self, payload: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """Create a request; a retry with the same key returns the same request."""
        created = self._call(
            "POST", "/api/v1/requests", json=payload, headers={"Idempotency-Key": idempotency_key}
        )
        metrics.request_submitted(str(payload.get("kind", "unknown")))
        return created

    def lookup_request(
        self, number: str, phone_last4: str, *, sender: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Return the owner's view of a request, or raise RequestNotFound / TooManyAttempts.

        ``sender`` (``{"channel": …, "sender_id": …}``) lets the backend count
        failed proofs per sender as well as per number.
        """
        body = {"number": number, "phone_last4": phone_last4, **(sender or {})}
        return self._call("POST", "/api/v1/requests/lookup", json=body)

    def cancel_request(
        self, number: str, phone_last4: str, *, sender: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Cancel a request on behalf of its owner."""
        body = {"phone_last4": phone_last4, **(sender or {})}
        return self._call("POST", f"/api/v1/requests/{number}/cancel", json=body)

    # --- handoff to a person (issue 5) -----------------------------------------
    def handoff_availability(self, topic: str, channel: str) -> dict[str, Any]:
        """Ask whether a person can take a conversation on this topic and channel now."""
        return self._call(
            "GET", "/api/v1/handoffs/availability", params={"topic": topic, "channel": channel}
        )

    def create_handoff(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue the conversation for a person; BackendRejected if nobody can take it now."""
        return self._call("POST", "/api/v1/handoffs", json=payload)

    # --- status updates (issue 15) ---------------------------------------------
    def opt_out_notifications(self, body: dict[str, Any]) -> dict[str, Any]:
        """Stop pushing status updates to a sender (``{"channel": …, "sender_id": …}``)."""
        return self._call("POST", "/api/v1/notifications/opt-out", json=body)

    # --- plumbing ------------------------------------------------------------
    def _cached(self, key: str, load: Any) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit and now - hit[0] < _CACHE_SECONDS:
                return hit[1]
        value = load()
        with self._lock:
            self._cache[key] = (now, value)
        return value

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self._settings.backend_url}{path}"
        timeout = (self._settings.connect_timeout, self._settings.read_timeout)
        turn_id = request_id.get()
        if turn_id:  # the backend logs the turn's id on every line of this call, and echoes it
            kwargs["headers"] = {**kwargs.get("headers", {}), HEADER: turn_id}
        try:
            response = self._session.request(method, url, timeout=timeout, **kwargs)
        except requests.RequestException as exc:
            logger.warning("backend %s %s unreachable: %s", method, path, type(exc).__name__)
            metrics.backend_error("unreachable")
            raise BackendUnavailable() from exc
        if response.status_code >= 500:
            logger.warning("backend %s %s failed with %s", method, path, response.status_code)
            metrics.backend_error("server_error")
            raise BackendUnavailable()
        body = _json_or_none(response)
        if response.status_code == 404:
            raise RequestNotFound()
        if response.status_code == 429:
            retry = response.headers.get("Retry-After", "")
            raise TooManyAttempts(int(retry) if retry.isdigit() else 900)
        if response.status_code >= 400:
            error = (body or {}).get("error", {}) if isinstance(body, dict) else {}
            logger.info("backend refused %s %s: %s", method, path, error.get("code"))
            raise BackendRejected(
                code=str(error.get("code", "rejected")),
                message=str(error.get("message") or "提交的信息未通过校验。"),
                fields=error.get("fields") if isinstance(error.get("fields"), dict) else None,
            )
        if body is None:
            metrics.backend_error("bad_answer")
            raise BackendUnavailable()
        return body


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


@lru_cache(maxsize=1)
def get_client() -> BackendClient:
    """Return the process-wide client (created on first use, not at import)."""
    return BackendClient(get_settings())
