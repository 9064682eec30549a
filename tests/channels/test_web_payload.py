"""What a page may send with a message, and the polite answer to everything else."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.web_payload import (
    MALFORMED_CUSTOM_DATA,
    MALFORMED_MESSAGE,
    MAX_MESSAGE_CHARS,
    MESSAGE_TOO_LONG,
    PayloadError,
    parse_utterance,
)


def test_the_widgets_own_message_passes() -> None:
    data = {"message": "你好", "customData": {"language": "zh-CN"}, "session_id": "web-1"}
    utterance = parse_utterance(data)
    assert utterance.text == "你好" and utterance.session_id == "web-1"
    assert utterance.custom_data == {"language": "zh-CN"} and utterance.user_token is None


@pytest.mark.parametrize("custom_data", [None, {}, "{}", '{"page": "/policy", "n": 3}'])
def test_empty_or_json_text_custom_data_is_fine(custom_data: Any) -> None:
    assert isinstance(
        parse_utterance({"message": "你好", "customData": custom_data}).custom_data, dict
    )


def test_the_token_is_taken_out_of_the_data_rasa_sees() -> None:
    utterance = parse_utterance({"message": "你好", "customData": {"user_token": "t", "a": 1}})
    assert utterance.user_token == "t" and utterance.custom_data == {"a": 1}


@pytest.mark.parametrize(
    "custom_data",
    [
        '{"language": "zh-CN"',
        "[1, 2]",
        '"zh-CN"',
        ["zh-CN"],
        42,
        {"nested": {"a": 1}},
        {"list": [1]},
        {"k": "长" * 513},
        {f"k{i}": i for i in range(21)},
        {"": 1},
        {"k" * 65: 1},
        {"user_token": 42},
        {"user_token": ""},
        "x" * 3000,
    ],
)
def test_malformed_custom_data_is_refused_with_a_polite_reply(custom_data: Any) -> None:
    with pytest.raises(PayloadError) as refused:
        parse_utterance({"message": "你好", "customData": custom_data})
    assert refused.value.reply == MALFORMED_CUSTOM_DATA


@pytest.mark.parametrize("data", ["你好", ["你好"], None, {"message": 42}, {"message": ["你好"]}])
def test_a_message_that_is_not_text_is_refused(data: Any) -> None:
    with pytest.raises(PayloadError) as refused:
        parse_utterance(data)
    assert refused.value.reply == MALFORMED_MESSAGE


def test_an_endless_message_is_refused_before_rasa() -> None:
    parse_utterance({"message": "长" * MAX_MESSAGE_CHARS})
    with pytest.raises(PayloadError) as refused:
        parse_utterance({"message": "长" * (MAX_MESSAGE_CHARS + 1)})
    assert refused.value.reply == MESSAGE_TOO_LONG


def test_the_metadata_key_follows_the_credentials() -> None:
    utterance = parse_utterance({"message": "你好", "metadata": {"a": 1}}, metadata_key="metadata")
    assert utterance.custom_data == {"a": 1}
