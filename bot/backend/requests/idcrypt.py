"""Resident ID numbers at rest: encrypted with a key from the environment, found by a keyed hash.

``ID_NUMBER_KEY`` (32 random bytes) is never used directly: two keys are
derived from it with HMAC-SHA256, one for AES-256-GCM (a fresh 96-bit nonce
per value) and one for the lookup hash, so a database copy alone reveals
neither the numbers nor, by hashing every possible ID, which row holds one.
Stored form: ``v1.<base64url(nonce + ciphertext)>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1."


class IdNumberVault:
    """Seal, open and hash resident ID numbers with keys derived from one secret."""

    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError("ID_NUMBER_KEY is not set: resident ID numbers cannot be stored")
        raw = key.encode("utf-8")
        self._aead = AESGCM(hmac.new(raw, b"yucai:id-number:encrypt", hashlib.sha256).digest())
        self._hash_key = hmac.new(raw, b"yucai:id-number:lookup", hashlib.sha256).digest()

    def seal(self, id_number: str) -> str:
        """Encrypt one ID number for storage."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, id_number.encode("utf-8"), b"resident-id")
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, stored: str) -> str:
        """Decrypt a stored ID number (raises on a wrong key or a tampered value)."""
        if not stored.startswith(PREFIX):
            raise ValueError("not a sealed ID number")
        blob = base64.urlsafe_b64decode(stored[len(PREFIX) :].encode("ascii"))
        return self._aead.decrypt(blob[:12], blob[12:], b"resident-id").decode("utf-8")

    def lookup_hash(self, id_number: str) -> str:
        """Return the keyed hash a lookup by ID number searches for."""
        normalised = id_number.strip().upper()
        return hmac.new(self._hash_key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()
