"""The classifier's examples generated from the knowledge base are current."""

from __future__ import annotations

from bot.knowledge import export_nlu


def test_generated_nlu_file_is_up_to_date():
    assert export_nlu.main(["--check"]) == 0, "run: python -m bot.knowledge.export_nlu"


def test_every_generated_example_belongs_to_its_topic_intent():
    text = export_nlu.render()
    for intent in ("ask_housing_policy", "ask_hukou", "ask_general_service"):
        assert f"- intent: {intent}\n" in text
    assert "- intent: request_" not in text
