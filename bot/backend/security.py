"""Bearer-token check shared by every ``/api/v1`` route."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.backend.config import Settings
from bot.backend.errors import UnauthorizedError

_bearer = HTTPBearer(auto_error=False, description="BACKEND_API_TOKEN")


def token_matches(presented: str, expected: str) -> bool:
    """Compare tokens in constant time so response timing does not leak the token."""
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Refuse the call unless it carries ``Authorization: Bearer <token>``."""
    settings: Settings = request.app.state.settings
    expected = settings.backend_api_token.get_secret_value()
    if credentials is None or not token_matches(credentials.credentials, expected):
        raise UnauthorizedError()
