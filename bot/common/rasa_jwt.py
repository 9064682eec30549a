"""Tokens for Rasa's HTTP API, sent in the ``Authorization`` header (never the query string).

Rasa 3.6 reads its ``--auth-token`` only from ``?token=``, where it lands in
access logs and proxy logs; its JWT mode (``--jwt-secret``, HS256) reads
``Authorization: Bearer <jwt>``. The launcher starts Rasa with
``--jwt-secret $RASA_API_TOKEN`` and no ``--auth-token``; every client (the
backend's console and handoff client, the launcher's health check, the tests)
signs a short-lived admin token here. Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def admin_token(secret: str, *, subject: str = "yucai", ttl: int = 300) -> str:
    """Sign an HS256 JWT with Rasa's admin role, valid for ``ttl`` seconds."""
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {
        "user": {"username": subject, "role": "admin"},
        "exp": int(time.time()) + ttl,
    }
    signing_input = (
        f"{_b64(json.dumps(header, separators=(',', ':')).encode())}."
        f"{_b64(json.dumps(payload, separators=(',', ':')).encode())}"
    )
    signature = hmac.new(secret.encode("utf-8"), signing_input.encode("ascii"), hashlib.sha256)
    return f"{signing_input}.{_b64(signature.digest())}"


def auth_header(secret: str, *, subject: str = "yucai") -> dict[str, str]:
    """Return the header that authenticates a call to Rasa's HTTP API."""
    return {"Authorization": f"Bearer {admin_token(secret, subject=subject)}"}
