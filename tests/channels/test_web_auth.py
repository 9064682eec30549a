"""Origins, session ids and user tokens of the web chat."""

from __future__ import annotations

import time

import pytest

from bot.channels.web_auth import TokenError, WebChatSettings, allowed_origins, main

ENV = {"WEBCHAT_SECRET": "unit-secret", "RASA_HOST": "127.0.0.1", "RASA_PORT": "5005"}


@pytest.fixture
def settings() -> WebChatSettings:
    return WebChatSettings.from_env({**ENV, "WEBCHAT_ALLOWED_ORIGINS": "https://rc.example.cn/"})


def test_the_servers_own_origins_and_the_listed_ones_are_allowed(
    settings: WebChatSettings,
) -> None:
    for origin in ("http://127.0.0.1:5005", "http://localhost:5005", "https://rc.example.cn"):
        assert settings.origin_allowed(origin)
    assert settings.origin_allowed(None)  # not a browser: origin checks do not apply


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://127.0.0.1:5006",
        "https://127.0.0.1:5005",
        "https://rc.example.cn.evil.example",
        "http://rc.example.cn",
        "null",
        "",
    ],
)
def test_every_other_origin_is_refused(settings: WebChatSettings, origin: str) -> None:
    assert not settings.origin_allowed(origin)


@pytest.mark.parametrize("listed", ["*", "rc.example.cn", "https://*.example.cn", "https://a/b"])
def test_a_wildcard_or_a_non_origin_in_the_list_stops_the_start(listed: str) -> None:
    with pytest.raises(ValueError, match="WEBCHAT_ALLOWED_ORIGINS"):
        allowed_origins({**ENV, "WEBCHAT_ALLOWED_ORIGINS": listed})


def test_no_secret_no_start() -> None:
    with pytest.raises(ValueError, match="WEBCHAT_SECRET"):
        WebChatSettings.from_env({"WEBCHAT_SECRET": "  "})


def test_only_issued_session_ids_are_accepted(settings: WebChatSettings) -> None:
    issued = settings.new_session_id()
    assert settings.session_id_valid(issued) and issued != settings.new_session_id()
    other = WebChatSettings(b"another-secret", frozenset())
    assert not other.session_id_valid(issued)
    nonce = issued.split("-")[1]
    for forged in (f"web-{nonce}-{'0' * 20}", "e2e-hospital", "", None, 42, issued + "0"):
        assert not settings.session_id_valid(forged)


@pytest.mark.parametrize("user_id", ["account-42", "张伟@渝才", "x" * 128])
def test_a_signed_token_carries_its_user(settings: WebChatSettings, user_id: str) -> None:
    assert settings.verify_user_token(settings.sign_user_token(user_id)) == user_id


def test_tokens_expire(settings: WebChatSettings) -> None:
    token = settings.sign_user_token("account-42", ttl=60)
    assert settings.verify_user_token(token, now=time.time() + 59) == "account-42"
    with pytest.raises(TokenError, match="expired"):
        settings.verify_user_token(token, now=time.time() + 61)


def test_a_token_cannot_be_forged_or_edited(settings: WebChatSettings) -> None:
    token = settings.sign_user_token("account-42")
    version, _user, expires, signature = token.split(".")
    other_user = WebChatSettings(settings.secret, frozenset()).sign_user_token("account-43")
    cases = {
        "bad signature": [
            WebChatSettings(b"guess", frozenset()).sign_user_token("account-42"),
            f"{version}.{other_user.split('.')[1]}.{expires}.{signature}",
            f"{version}.{_user}.{int(expires) + 3600}.{signature}",
        ],
        "malformed": ["", "v1", "v2." + token[3:], f"{version}.{_user}.soon.{signature}"],
    }
    for reason, tokens in cases.items():
        for bad in tokens:
            with pytest.raises(TokenError, match=reason):
                settings.verify_user_token(bad)


def test_user_conversations_are_keyed_by_a_pseudonym(settings: WebChatSettings) -> None:
    sender = settings.user_sender_id("13812340000")
    assert sender.startswith("web-user-") and "13812340000" not in sender
    assert sender == settings.user_sender_id("13812340000") != settings.user_sender_id("x")


def test_the_command_line_prints_a_token_the_server_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WEBCHAT_SECRET", "unit-secret")
    assert main(["account-42", "--ttl", "600"]) == 0
    token = capsys.readouterr().out.strip()
    assert WebChatSettings.from_env(ENV).verify_user_token(token) == "account-42"
    monkeypatch.setenv("WEBCHAT_SECRET", "")
    assert main(["account-42"]) == 2
    assert "WEBCHAT_SECRET" in capsys.readouterr().err
