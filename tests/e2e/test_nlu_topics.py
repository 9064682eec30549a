"""The trained model places held-out questions in the right topic (through Rasa's HTTP API).

`make eval` gives the full report beside the baseline; this keeps the bar in
every test run so a change to the data or the pipeline cannot quietly lower it.
"""

from __future__ import annotations

from collections import Counter

from rasa.shared.nlu.training_data.loading import load_data

from bot.knowledge.topics import topic_of
from bot.launcher import Stack
from tests.e2e.conftest import post_json

HELDOUT = "tests/nlu/heldout.yml"
TOPIC_ACCURACY_BAR = 0.95


def test_held_out_topic_accuracy_is_above_the_bar(stack: Stack) -> None:
    url = f"{stack.rasa_url}/model/parse"
    misses: Counter[tuple[str, str]] = Counter()
    examples = load_data(HELDOUT, language="zh").intent_examples
    for message in examples:
        status, parse = post_json(url, {"text": message.get("text")}, headers=stack.rasa_headers())
        assert status == 200, parse
        expected = topic_of(message.get("intent"))
        predicted = topic_of(parse["intent"]["name"])
        if predicted != expected:
            misses[(str(expected), str(predicted))] += 1
    accuracy = 1 - sum(misses.values()) / len(examples)
    assert accuracy >= TOPIC_ACCURACY_BAR, f"{accuracy:.1%}; misses: {misses.most_common(10)}"
