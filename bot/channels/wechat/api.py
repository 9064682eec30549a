"""The customer-service message API: how a slow answer still reaches the user.

An access token is fetched once and cached until shortly before it expires;
a token WeChat reports as expired or invalid is fetched again and the send is
retried once. With the WeChat store on Redis the token is held there for
every instance (``token.SharedToken``). The base URL is configurable so tests
can point it at a fake.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import aiohttp
from prometheus_client import Counter

from bot.channels.wechat.settings import WECOM, WeChatSettings
from bot.channels.wechat.token import SharedToken, TokenHolderUnavailable

logger = logging.getLogger(__name__)

TOKEN_ERRORS = {40001, 40014, 42001}  # invalid, malformed, expired access token
TOKEN_MARGIN_SECONDS = 300
CONNECT_RETRIES = 2


#: the customer-service window (48 hours since the user's last message) has closed
WINDOW_CLOSED = {45015, 45047}

#: every text WeChat did not take, whoever sent it (slow answers, pushes); README: Metrics
DELIVERY_FAILURES = Counter(
    "yucai_wechat_delivery_failures_total",
    "Texts the customer-service API did not deliver, by stage (token: no access token; "
    "send: WeChat refused or could not be reached).",
    ["stage"],
)


class DeliveryFailed(Exception):
    """WeChat did not accept a message; the reason is in the message."""

    def __init__(self, reason: str, *, code: int | None = None) -> None:
        super().__init__(reason)
        self.code = code


class CustomerServiceApi:
    """Send text to one user through WeChat's (or WeCom's) server API."""

    def __init__(self, settings: WeChatSettings) -> None:
        self.settings = settings
        self._base = settings.api_base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._token_lock = asyncio.Lock()
        self._shared = (
            SharedToken(settings.store_url, settings.app_id)
            if settings.store_url.startswith(("redis://", "rediss://", "unix://"))
            else None
        )

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self._session

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """Call the API; retry only when the connection was never made."""
        for attempt in range(CONNECT_RETRIES + 1):
            try:
                async with self._http().request(method, f"{self._base}{path}", **kwargs) as resp:
                    body = await resp.read()
                    if resp.status != 200:
                        raise DeliveryFailed(f"HTTP {resp.status} from {path}")
                    data = json.loads(body)
                    if not isinstance(data, dict):
                        raise DeliveryFailed(f"unexpected body from {path}")
                    return data
            except aiohttp.ClientConnectorError as exc:  # nothing was sent: safe to retry
                if attempt == CONNECT_RETRIES:
                    raise DeliveryFailed(f"{path}: cannot connect") from exc
                await asyncio.sleep(0.5 * (attempt + 1))
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                raise DeliveryFailed(f"{path}: {type(exc).__name__}") from exc
        raise AssertionError("unreachable")

    async def access_token(self, *, refresh: bool = False) -> str:
        """Return a cached token, fetching a new one when needed (one fetch at a time)."""
        async with self._token_lock:
            if self._shared is not None:
                stale = self._token if refresh else None
                try:
                    self._token = await self._shared.get(self._fetch_token, stale=stale)
                    return self._token
                except TokenHolderUnavailable as exc:
                    logger.warning("shared WeChat token unavailable (%s); fetching our own", exc)
            if not refresh and self._token and time.monotonic() < self._token_expires_at:
                return self._token
            token, lifetime = await self._fetch_token()
            self._token = token
            self._token_expires_at = time.monotonic() + lifetime
            return self._token

    async def _fetch_token(self) -> tuple[str, int]:
        """Ask WeChat for a new token; return it and how long to keep it."""
        s = self.settings
        if s.mode == WECOM:
            path, params = "/cgi-bin/gettoken", {"corpid": s.app_id, "corpsecret": s.app_secret}
        else:
            path = "/cgi-bin/token"
            params = {
                "grant_type": "client_credential",
                "appid": s.app_id,
                "secret": s.app_secret,
            }
        data = await self._call("GET", path, params=params)
        token = data.get("access_token")
        if not token:
            raise DeliveryFailed(f"no access token (errcode {data.get('errcode')})")
        lifetime = int(data.get("expires_in", 7200))
        logger.info("fetched a WeChat access token valid for %ss", lifetime)
        return str(token), max(60, lifetime - TOKEN_MARGIN_SECONDS)

    def _message(self, user: str, content: str) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {"touser": user, "msgtype": "text", "text": {"content": content}}
        if self.settings.mode == WECOM:
            body["agentid"] = int(self.settings.agent_id or 0)
            return "/cgi-bin/message/send", body
        return "/cgi-bin/message/custom/send", body

    async def send_text(self, user: str, content: str) -> None:
        """Send one text; raise DeliveryFailed if WeChat refuses it."""
        await self._post_message(*self._message(user, content))

    async def send_template(self, user: str, template_id: str, fields: dict[str, str]) -> None:
        """Send a template message (Official Accounts: allowed outside the 48-hour window)."""
        body: dict[str, Any] = {
            "touser": user,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in fields.items()},
        }
        await self._post_message("/cgi-bin/message/template/send", body)

    async def _post_message(self, path: str, body: dict[str, Any]) -> None:
        """Post one message with the access token, fetching a new token once if WeChat asks."""
        # real UTF-8: escaped Chinese is reported to arrive as literal \\uXXXX
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        for refresh in (False, True):
            try:
                token = await self.access_token(refresh=refresh)
            except DeliveryFailed:
                DELIVERY_FAILURES.labels(stage="token").inc()
                raise
            try:
                result = await self._call(
                    "POST", path, params={"access_token": token}, data=data, headers=headers
                )
            except DeliveryFailed:
                DELIVERY_FAILURES.labels(stage="send").inc()
                raise
            code = int(result.get("errcode", 0))
            if code == 0:
                return
            if code not in TOKEN_ERRORS or refresh:
                DELIVERY_FAILURES.labels(stage="send").inc()
                raise DeliveryFailed(f"errcode {code}", code=code)
        raise AssertionError("unreachable")

    async def close(self) -> None:
        """Close the HTTP session and the shared token's connections."""
        if self._session is not None:
            await self._session.close()
        if self._shared is not None:
            await self._shared.close()
