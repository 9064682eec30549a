"""Passwords are stored as salted scrypt hashes and checked in constant time."""

from __future__ import annotations

import pytest

from bot.backend.agents.passwords import (
    DUMMY_HASH,
    WeakPasswordError,
    check_strength,
    hash_password,
    verify_password,
)


def test_hash_verifies_only_the_same_password() -> None:
    stored = hash_password("渝才-correct-horse")
    assert stored.startswith("scrypt$16384$8$1$")
    assert "correct-horse" not in stored
    assert verify_password("渝才-correct-horse", stored)
    assert not verify_password("渝才-correct-hors", stored)


def test_same_password_gets_a_new_salt_each_time() -> None:
    assert hash_password("same password!") != hash_password("same password!")


@pytest.mark.parametrize(
    "stored", ["", "plain-text", "bcrypt$x$y", "scrypt$1$2$3$!!$??", DUMMY_HASH]
)
def test_malformed_or_dummy_hashes_never_match(stored: str) -> None:
    assert not verify_password("anything at all", stored)


@pytest.mark.parametrize("password", ["short", "aaaaaaaaaaaa", "abababababab"])
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPasswordError):
        check_strength(password)
