"""The NLU guards: width, length, word-less input and bare values."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.input_guard import InputGuard, TextNormalizer


def run(text: str, guessed: str = "goodbye") -> Message:
    message = Message(data={TEXT: text})
    TextNormalizer({"max_chars": 500}).process([message])
    message.set(INTENT, {"name": guessed, "confidence": 0.9})
    InputGuard(InputGuard.get_default_config()).process([message])
    return message


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("0000", "inform"),
        ("１３８１２３４５６７８", "inform"),
        ("138 1234 5678", "inform"),
        ("+86 13812345678", "inform"),
        ("11010519491231002X", "inform"),
        ("hs20261127-0001", "inform"),
        ("", "nlu_fallback"),
        ("😀😀", "nlu_fallback"),
        ("！？。", "nlu_fallback"),
        ("啊" * 501, "nlu_fallback"),
        ("再见", "goodbye"),
        ("尾号0000拜拜", "goodbye"),
    ],
)
def test_the_guard_overrules_where_the_form_of_the_text_decides(text: str, intent: str) -> None:
    assert run(text).get(INTENT)["name"] == intent


def test_long_messages_are_cut_but_remember_their_length() -> None:
    message = run("好" * 10_000, guessed="greet")
    assert len(message.get(TEXT)) == 500
    assert message.get("original_text_length") == 10_000
