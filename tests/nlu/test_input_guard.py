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


def test_training_entities_move_with_the_normalised_words() -> None:
    from rasa.shared.nlu.constants import ENTITIES
    from rasa.shared.nlu.training_data.training_data import TrainingData

    text = "我老汉儿想申请青年人才公祖房，住渝北"
    spans = [("青年人才公祖房", "housing_type", None), ("渝北", "district", "yubei")]
    entities = []
    for word, name, value in spans:
        start = text.index(word)
        entities.append(
            {"start": start, "end": start + len(word), "entity": name, "value": value or word}
        )
    example = Message(data={TEXT: text, ENTITIES: entities, INTENT: "request_housing"})
    TextNormalizer({"max_chars": 500}).process_training_data(TrainingData([example]))
    new_text = example.get(TEXT)
    assert new_text == "我父亲想申请青年人才公租房,住渝北"
    housing, district = example.get(ENTITIES)
    assert new_text[housing["start"] : housing["end"]] == housing["value"] == "青年人才公租房"
    assert new_text[district["start"] : district["end"]] == "渝北"
    assert district["value"] == "yubei"  # an explicit value is the annotator's, kept
