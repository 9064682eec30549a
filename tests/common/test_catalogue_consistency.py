"""The request catalogue and the Rasa side agree: domain, forms, validators, topics, NLU.

Each check fails when a kind or field is declared in the catalogue but missing on the
Rasa side, or the reverse, so a new kind cannot be half added. The backend's side is
checked in tests/backend/test_catalogue_schema.py, the console's in
tests/console/test_console_catalogue.py.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import actions
from actions.callback import ValidateCallbackForm
from actions.forms import RequestFormValidation
from bot.common.catalogue import ALL_KINDS, FORM_KINDS, KINDS_BY_INTENT, RequestKind
from bot.common.catalogue.numbers import NUMBER_PATTERN, PREFIXES
from bot.nlu.input_guard import BARE_VALUE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    """The domain file as Rasa reads it."""
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def topics() -> dict[str, str]:
    """The intent → topic map of the evaluation contract."""
    return yaml.safe_load((ROOT / "data" / "topics.yml").read_text(encoding="utf-8"))["topics"]


def validators() -> dict[str, Any]:
    """Every form validator of the action server, by the form it validates."""
    for module in pkgutil.iter_modules(actions.__path__):  # as the SDK loads them all
        importlib.import_module(f"actions.{module.name}")
    found = {cls.kind.form: cls for cls in RequestFormValidation.__subclasses__()}
    return {**found, "callback_form": ValidateCallbackForm}


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.code)
def test_each_kind_has_its_form_slots_and_validator(kind: RequestKind, domain: dict) -> None:
    assert domain["forms"][kind.form]["required_slots"] == list(kind.required_slots)
    declared = {*domain["slots"], "requested_slot"}  # Rasa declares requested_slot itself
    assert set(kind.slots) <= declared, "a catalogue slot is missing in domain.yml"
    assert f"validate_{kind.form}" in domain["actions"]
    validator = validators()[kind.form]
    for field in kind.fields:
        assert callable(getattr(validator, f"validate_{field.slot}", None)), field.slot
        if field.entity:
            assert field.entity in domain["entities"], field.entity


def test_every_request_form_of_the_domain_is_in_the_catalogue(domain: dict) -> None:
    request_forms = {
        name
        for name, form in domain["forms"].items()
        if {"privacy_consent", "callback_consent"} & set(form["required_slots"])
    }
    assert request_forms == {kind.form for kind in ALL_KINDS}
    assert set(domain["slots"]["request_kind"]["values"]) == {k.code for k in FORM_KINDS}


def test_request_intents_and_topics_agree(domain: dict, topics: dict[str, str]) -> None:
    for kind in FORM_KINDS:
        assert kind.intent in domain["intents"]
        assert topics[kind.intent] == kind.topics[0], kind.code
        assert all(topic in topics.values() for topic in kind.topics)
    declared = {intent for intent in domain["intents"] if intent.startswith("request_")}
    assert declared == set(KINDS_BY_INTENT)


def test_the_nlu_reads_every_kind_of_number() -> None:
    regexes = yaml.safe_load((ROOT / "data" / "nlu" / "regexes.yml").read_text(encoding="utf-8"))
    (pattern,) = (r["examples"] for r in regexes["nlu"] if r.get("regex") == "request_number")
    assert f"({'|'.join(sorted(PREFIXES.values()))})" in pattern


def test_numbers_of_every_kind_are_recognised() -> None:
    assert len(set(PREFIXES.values())) == len(ALL_KINDS)
    for prefix in PREFIXES.values():
        number = f"{prefix}20261129-0001"
        assert NUMBER_PATTERN.match(number)
        assert BARE_VALUE.match(number.lower())
    assert not NUMBER_PATTERN.match("XX20261129-0001")


def test_the_action_server_registers_every_action() -> None:
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")  # as `python -m rasa_sdk --actions actions` does
    for kind in ALL_KINDS:
        assert f"validate_{kind.form}" in executor.actions
    assert "validate_request_form" not in executor.actions  # the abstract base is not an action
