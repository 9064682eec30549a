"""Custom NLU components that protect the pipeline from unusual input.

`TextNormalizer` runs first: it brings the text to the words the model was
trained on (half-width, simplified characters, dialect and typos; see
`bot/common/normalise.py`) and cuts very long messages before they reach
Jieba and DIET. Every later component, the entity extractors included, reads
the normalised text. `InputGuard` runs last: a message with no
words at all, or one that was cut, is marked `nlu_fallback` so the assistant
explains the problem instead of guessing.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.common.catalogue.numbers import NUMBER_IN_TEXT
from bot.common.normalise import normalise_with_offsets
from bot.common.text import has_words

ORIGINAL_LENGTH = "original_text_length"


class _Stateless(GraphComponent):
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        """Create the component from its config."""
        return cls(config)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class TextNormalizer(_Stateless):
    """Normalise the words and cap the length of a message before tokenisation."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the default config: the longest message NLU will read."""
        return {"max_chars": 500}

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Normalise training examples the same way as live messages."""
        for example in training_data.training_examples:
            self._normalise(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Normalise live messages."""
        for message in messages:
            self._normalise(message)
        return messages

    def _normalise(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str):
            return
        # kept in the parse data, so actions can tell a cut message from a short one
        message.set(ORIGINAL_LENGTH, len(text), add_to_output=True)
        cut = text[: self.config["max_chars"]]
        normalised, offsets = normalise_with_offsets(cut)
        message.set(TEXT, normalised)
        # annotated training examples: move the entity spans with the words, and
        # normalise a value that is just the span's text ([公祖房] → 公租房), or the
        # synonym mapper would learn to turn the right spelling into the typo
        for entity in message.get(ENTITIES) or []:
            start, end = entity.get("start", 0), entity.get("end", 0)
            if end <= len(cut):
                entity["start"], entity["end"] = offsets[start], offsets[end]
                if entity.get("value") == cut[start:end]:
                    entity["value"] = normalised[entity["start"] : entity["end"]]


# a message that is only a number (a phone, an ID, its last four digits, a
# request number) is always an answer to a question, never a new topic
BARE_VALUE = re.compile(rf"^\s*(?:[+\d][\d\s\-()]*[\dXx]?|{NUMBER_IN_TEXT})\s*$", re.IGNORECASE)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class InputGuard(_Stateless, IntentClassifier):
    """Overrule the classifier where the form of the input settles the question.

    Word-less and over-long messages go to the fallback; a bare number is an
    answer (`inform`), whatever words DIET would have guessed around it.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the default config (max_chars must match TextNormalizer's)."""
        return {"max_chars": 500, "value_intent": "inform"}

    def process(self, messages: list[Message]) -> list[Message]:
        """Overrule the classifier where the input is not a real question."""
        for message in messages:
            text = message.get(TEXT) or ""
            too_long = (message.get(ORIGINAL_LENGTH) or 0) > self.config["max_chars"]
            if too_long or not has_words(text):
                self._overrule(message, DEFAULT_NLU_FALLBACK_INTENT_NAME)
                message.set(ENTITIES, [], add_to_output=True)
            elif BARE_VALUE.match(text):
                self._overrule(message, self.config["value_intent"])
        return messages

    @staticmethod
    def _overrule(message: Message, intent: str) -> None:
        message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
