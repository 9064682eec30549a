"""Hash and check agents' passwords with scrypt (standard library, memory-hard)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

#: RFC 7914 interactive-login parameters: 16 MiB and ~50 ms per check.
_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 16
_KEY_BYTES = 32
_MAXMEM = 64 * 1024 * 1024
MIN_LENGTH = 10


class WeakPasswordError(ValueError):
    """The password is too short or too plain to protect personal data."""


def check_strength(password: str) -> None:
    """Refuse passwords an attacker would guess first."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"密码至少需要 {MIN_LENGTH} 个字符")
    if len(set(password)) < 4:
        raise WeakPasswordError("密码过于简单，请混合使用不同的字符")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """Return ``scrypt$N$r$p$salt$key``; the parameters travel with the hash."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAXMEM, dklen=_KEY_BYTES
    )
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Check a password against a stored hash in constant time."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


#: Checked when the username is unknown, so timing does not tell who has an account.
DUMMY_HASH = (
    "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
)
