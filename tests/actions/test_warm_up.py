"""The action server loads the knowledge base at start, not at the first question."""

from __future__ import annotations

from actions import knowledge
from bot.knowledge import load_knowledge_base
from bot.knowledge.coverage import topic_vocabulary
from bot.knowledge.search import _tokenizer


def test_warm_up_loads_what_the_first_question_needs() -> None:
    for cached in (load_knowledge_base, topic_vocabulary, _tokenizer):
        cached.cache_clear()
    knowledge.warm_up()
    for cached in (load_knowledge_base, topic_vocabulary, _tokenizer):
        assert cached.cache_info().currsize == 1
    assert knowledge.entries_for("人才公寓怎么申请", "housing_policy")
