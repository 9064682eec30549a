"""Who may talk to the web chat: origin allow-list, signed session ids, signed user tokens.

Pure standard library, so the Rasa server, the host site's own code and the
browser tests can all use it. One secret (``WEBCHAT_SECRET``) signs both kinds
of value, each under its own derived key.

Run ``python -m bot.channels.web_auth USER_ID`` to print a user token for a
logged-in user (what a host site's server does on every page it renders).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import re
import secrets
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

TOKEN_VERSION = "v1"
DEFAULT_TOKEN_TTL = 12 * 3600
MAX_USER_ID_LENGTH = 128
_SESSION_ID = re.compile(r"web-([0-9a-f]{32})-([0-9a-f]{20})")
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


class TokenError(ValueError):
    """A user token that cannot be trusted (malformed, badly signed or expired)."""


@dataclass(frozen=True)
class WebChatSettings:
    """The web chat's security settings, read once from the environment."""

    secret: bytes
    allowed_origins: frozenset[str]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebChatSettings:
        """Read WEBCHAT_SECRET and the allowed origins; refuse to start without a secret."""
        env = os.environ if env is None else env
        secret = env.get("WEBCHAT_SECRET", "").strip()
        if not secret:
            raise ValueError("WEBCHAT_SECRET is empty: set it (see .env.example)")
        return cls(secret=secret.encode("utf-8"), allowed_origins=allowed_origins(env))

    def _key(self, purpose: str) -> bytes:
        return hmac.new(self.secret, f"yucai-webchat:{purpose}".encode(), hashlib.sha256).digest()

    def _sign(self, purpose: str, value: str) -> str:
        return hmac.new(self._key(purpose), value.encode("utf-8"), hashlib.sha256).hexdigest()

    def origin_allowed(self, origin: str | None) -> bool:
        """Accept an exact allow-listed origin; a request without Origin is not a browser's."""
        return origin is None or origin.rstrip("/") in self.allowed_origins

    def new_session_id(self) -> str:
        """Issue a session id only this server could have made, so clients cannot pick senders."""
        nonce = secrets.token_hex(16)
        return f"web-{nonce}-{self._sign('session', nonce)[:20]}"

    def session_id_valid(self, value: object) -> bool:
        """Tell whether ``value`` is a session id this server issued."""
        if not isinstance(value, str):
            return False
        match = _SESSION_ID.fullmatch(value)
        return match is not None and hmac.compare_digest(
            self._sign("session", match.group(1))[:20], match.group(2)
        )

    def sign_user_token(self, user_id: str, *, ttl: int = DEFAULT_TOKEN_TTL) -> str:
        """Return a token saying the host site logged ``user_id`` in, valid for ``ttl`` seconds."""
        if not user_id or len(user_id) > MAX_USER_ID_LENGTH:
            raise ValueError(f"user id must be 1-{MAX_USER_ID_LENGTH} characters")
        encoded = base64.urlsafe_b64encode(user_id.encode("utf-8")).decode().rstrip("=")
        body = f"{TOKEN_VERSION}.{encoded}.{int(time.time()) + ttl}"
        return f"{body}.{self._sign('user-token', body)}"

    def verify_user_token(self, token: str, *, now: float | None = None) -> str:
        """Return the user id a valid token carries; raise TokenError otherwise."""
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != TOKEN_VERSION or not parts[2].isdigit():
            raise TokenError("malformed")
        body = ".".join(parts[:3])
        if not hmac.compare_digest(self._sign("user-token", body), parts[3]):
            raise TokenError("bad signature")
        if int(parts[2]) < (time.time() if now is None else now):
            raise TokenError("expired")
        try:
            padded = parts[1] + "=" * (-len(parts[1]) % 4)
            return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
        except (ValueError, UnicodeError) as exc:
            raise TokenError("malformed") from exc

    def user_sender_id(self, user_id: str) -> str:
        """Key a logged-in user's conversation by a pseudonym, not by the host's account id."""
        return f"web-user-{self._sign('user-sender', user_id)[:32]}"


def allowed_origins(env: Mapping[str, str]) -> frozenset[str]:
    """Return the Rasa server's own origins plus WEBCHAT_ALLOWED_ORIGINS (comma-separated)."""
    port = env.get("RASA_PORT", "5005").strip() or "5005"
    host = env.get("RASA_HOST", "127.0.0.1").strip() or "127.0.0.1"
    own = {f"http://{host}:{port}", f"http://localhost:{port}", f"http://127.0.0.1:{port}"}
    extra = {o.strip().rstrip("/") for o in env.get("WEBCHAT_ALLOWED_ORIGINS", "").split(",")}
    extra.discard("")
    for origin in extra:
        if not _ORIGIN.fullmatch(origin):
            raise ValueError(
                f"WEBCHAT_ALLOWED_ORIGINS: {origin!r} is not an exact origin like https://example.cn"
            )
    return frozenset(own | extra)


def main(argv: Sequence[str] | None = None) -> int:
    """Print a user token, the way a host site's server would make one."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.channels.web_auth", description="为已登录用户签发网页聊天令牌"
    )
    parser.add_argument("user_id", help="宿主网站的用户编号")
    parser.add_argument("--ttl", type=int, default=DEFAULT_TOKEN_TTL, help="有效秒数")
    args = parser.parse_args(argv)
    try:
        print(WebChatSettings.from_env().sign_user_token(args.user_id, ttl=args.ttl))
    except ValueError as exc:
        print(f"无法签发令牌：{exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
