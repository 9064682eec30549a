"""The Rasa process's speed changes keep its behaviour (bot/serving/tuning.py)."""

from __future__ import annotations

import ast
import asyncio
import copy
import gc
import importlib
import inspect
import json
import logging
import random
import sqlite3
import weakref
from abc import ABC
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rasa.core.agent
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Event,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.schemas.events import EVENT_SCHEMA

from bot.serving import tuning

DOMAIN = Domain.from_yaml("version: '3.1'\nslots:\n  district:\n    type: text\n    mappings: []\n")


@pytest.fixture(scope="module", autouse=True)
def installed() -> None:
    """Apply the changes, as bot.rasa_server does before Rasa starts."""
    tuning.install()


def test_the_sqlite_tracker_store_keeps_every_turn_in_wal_mode(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(db))

    async def two_turns() -> list[str]:
        tracker = await store.get_or_create_tracker("u1", append_action_listen=False)
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered("我住渝北"))
        await store.save(tracker)
        tracker = await store.retrieve("u1")
        assert tracker is not None
        tracker.update(SlotSet("district", "渝北区"))
        await store.save(tracker)
        again = await store.retrieve("u1")
        assert again is not None and again.get_slot("district") == "渝北区"
        return [e.type_name for e in again.events]

    kinds = asyncio.run(two_turns())
    assert kinds == ["session_started", "action", "user", "slot"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 4


def test_the_synchronous_level_is_normal_unless_full_is_asked_for() -> None:
    assert tuning.sqlite_synchronous({}) == "normal"
    assert tuning.sqlite_synchronous({"TRACKER_SQLITE_SYNCHRONOUS": " FULL "}) == "full"
    with pytest.raises(ValueError):
        tuning.sqlite_synchronous({"TRACKER_SQLITE_SYNCHRONOUS": "off"})


def test_an_action_servers_answer_is_still_checked_against_rasas_schema() -> None:
    action = RemoteAction("action_answer", None)
    good = {
        "events": [{"event": "slot", "name": "district", "value": "渝北区", "timestamp": None}],
        "responses": [{"text": "好的"}],
    }
    assert action._validate_action_result(good) is True
    for bad in ({"events": [{"event": 3}]}, {"events": "slot"}, {"responses": ["好的"]}):
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(bad)


def _candidate_answers(rng: random.Random, count: int) -> list[object]:
    """Return action answers of every shape, mostly wrong in one small way."""
    kinds = [kind["properties"]["event"]["const"] for kind in EVENT_SCHEMA["oneOf"]]
    names = kinds + ["no_such_event", "", 3, None, ["slot"]]
    fields = sorted(
        {field for kind in EVENT_SCHEMA["oneOf"] for field in kind["properties"]}
        | set(EVENT_SCHEMA["properties"])
        | {"text", "entities", "value"}
    )
    leaves: list[object] = [None, 0, 1.5, "渝北区", True, [], {}, [1], {"a": 1}]
    nested: list[object] = [
        {"intent": {"name": "ask_housing", "confidence": 0.9}, "entities": []},
        {"intent": {"name": 3}},
        {"entities": [{"entity": "district", "value": "渝北区", "start": 0, "end": 2}]},
        {"entities": [{"entity": "district"}]},
        {"response_selector": {"all_retrieval_intents": []}},
        {"response_selector": {"all_retrieval_intents": "x"}},
        [{"entity": "grade", "value": "一年级"}],
        [{"value": "一年级"}],
    ]
    answers: list[object] = []
    for _ in range(count):
        events: list[object] = []
        for _ in range(rng.randint(0, 4)):
            if rng.random() < 0.05:
                events.append(rng.choice(leaves))
                continue
            event: dict[str, object] = {}
            if rng.random() < 0.95:
                event["event"] = rng.choice(names)
            for field in rng.sample(fields, rng.randint(0, 4)):
                event[field] = rng.choice(leaves + nested)
            events.append(event)
        answer: dict[str, object] = {"events": events}
        if rng.random() < 0.3:
            answer["responses"] = rng.choice([[{"text": "好的"}], ["好的"], [], "好的"])
        if rng.random() < 0.05:
            answer["events"] = rng.choice(leaves)
        answers.append(answer if rng.random() < 0.98 else rng.choice(leaves))
    return answers


def test_the_event_by_event_check_passes_exactly_what_rasas_schema_passes() -> None:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    full = validator_class(schema)
    plainly_valid = tuning.event_by_event_check(schema, validator_class)
    answers = _candidate_answers(random.Random(7), 4000)
    verdicts = [(plainly_valid(answer), full.is_valid(answer)) for answer in answers]
    assert all(fast == slow for fast, slow in verdicts)
    valid = sum(slow for _, slow in verdicts)
    assert 400 < valid < 3600, valid  # both kinds of answer were tried, many of each


def test_without_compiled_checks_jsonschema_passes_exactly_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a fastjsonschema that cannot compile the schema leaves jsonschema's own checks (row 15)
    monkeypatch.setattr(tuning, "compiled_check", lambda _schema: None)
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    full = validator_class(schema)
    plainly_valid = tuning.event_by_event_check(schema, validator_class)
    answers = _candidate_answers(random.Random(11), 1500)
    assert all(plainly_valid(answer) == full.is_valid(answer) for answer in answers)


def test_the_compiled_checks_run_and_change_nothing() -> None:
    schema = RemoteAction.action_response_format_spec()
    asked: list[object] = []

    class Recording:  # a jsonschema validator class that says what it was asked
        def __init__(self, _schema: object) -> None:
            pass

        def is_valid(self, value: object) -> bool:
            asked.append(value)
            return True

    plainly_valid = tuning.event_by_event_check(schema, Recording)
    answers = _candidate_answers(random.Random(5), 500)
    before = copy.deepcopy(answers)
    verdicts = [plainly_valid(answer) for answer in answers]
    assert asked == []  # fastjsonschema's compiled checks decided every one
    assert 50 < sum(verdicts) < 450
    assert answers == before  # no default filled in, nothing rewritten


def test_a_schema_of_another_shape_is_checked_whole() -> None:
    schema = {"type": "object", "properties": {"events": {"type": "array"}}}
    plainly_valid = tuning.event_by_event_check(schema, validator_for(schema))
    assert plainly_valid({"events": []}) is False  # "look closer": the full validator decides


def test_events_are_read_back_as_their_own_classes() -> None:
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("slot") is SlotSet  # remembered
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    events = [SessionStarted(), UserUttered("你好"), SlotSet("district", "渝北区")]
    again = [Event.from_parameters(e.as_dict()) for e in events]
    assert again == events


def _housing_form_asking() -> list[Event]:
    """Return a new session in which the housing form has just asked for the district."""
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("帮我申请人才房", {"name": "apply_housing"}),
        ActionExecuted("housing_form"),
        ActiveLoop("housing_form"),
        SlotSet("requested_slot", "district"),
        ActionExecuted("action_listen"),
    ]


def test_the_events_that_apply_are_computed_once_per_event_sequence() -> None:
    recompute = DialogueStateTracker.applied_events.__wrapped__  # type: ignore[attr-defined]
    tracker = DialogueStateTracker("u1", DOMAIN.slots)
    events: list[Event] = [
        *_housing_form_asking(),
        UserUttered("渝北", {"name": "inform"}),
        ActionExecuted("housing_form"),  # the form again: the turn before it is undone
        SlotSet("district", "渝北区"),
        ActionExecuted("action_listen"),
        UserUttered("算了", {"name": "stop"}),
        UserUtteranceReverted(),
        ActionExecuted("utter_ask_continue"),
        ActionReverted(),
        ActiveLoop(None),
        Restarted(),
        ActionExecuted("action_listen"),
    ]
    for event in events:
        tracker.update(event)
        first = tracker.applied_events()
        stored = tracker.__dict__[tuning.APPLIED]
        assert first == recompute(tracker)
        first.clear()  # a caller's list is its own
        assert tracker.applied_events() == recompute(tracker)
        assert tracker.__dict__[tuning.APPLIED] is stored  # not computed again
    tracker.events = deque(events[:5])  # a new sequence (Rasa's reset makes a new deque)
    assert tracker.applied_events() == recompute(tracker)
    full = DialogueStateTracker("u2", DOMAIN.slots, max_event_history=3)
    for event in events[:6]:  # a bounded history drops its first event as it appends
        full.update(event)
        assert full.applied_events() == recompute(full)


FORM_DOMAIN = Domain.from_yaml(
    """
version: '3.1'
intents: [apply_housing, inform, stop, greet]
entities: [district]
slots:
  district:
    type: text
    mappings: [{type: from_entity, entity: district}]
  household_size:
    type: float
    influence_conversation: true
    mappings: [{type: custom}]
  consent:
    type: bool
    initial_value: false
    influence_conversation: true
    mappings: [{type: custom}]
forms:
  housing_form:
    required_slots: [district]
actions: [utter_ask_continue]
"""
)


def test_the_dialogue_states_are_computed_once_per_event_sequence_and_arguments() -> None:
    recompute = DialogueStateTracker.past_states.__wrapped__  # type: ignore[attr-defined]
    tracker = DialogueStateTracker("u1", FORM_DOMAIN.slots)
    events: list[Event] = [
        *_housing_form_asking(),
        UserUttered("渝北", {"name": "inform"}, [{"entity": "district", "value": "渝北"}]),
        ActionExecuted("housing_form", hide_rule_turn=True),
        SlotSet("district", "渝北区"),
        SlotSet("household_size", 3.0),
        ActionExecuted("action_listen"),
        UserUttered("算了", {"name": "stop"}),
        ActionExecuted("utter_ask_continue"),
        ActiveLoop(None),
        Restarted(),
        ActionExecuted("action_listen"),
    ]
    rule_only = {"rule_only_slots": ["district"], "rule_only_loops": ["housing_form"]}
    asked = [
        (FORM_DOMAIN, {}),
        (FORM_DOMAIN, {"omit_unset_slots": True}),
        (FORM_DOMAIN, {"ignore_rule_only_turns": True, "rule_only_data": rule_only}),
        (FORM_DOMAIN, {"ignore_rule_only_turns": True, "rule_only_data": {"rule_only_slots": []}}),
        (DOMAIN, {}),  # another domain: asked apart (here it happens to answer the same)
    ]
    differed: set[int] = set()
    for event in events:
        tracker.update(event)
        stored = None
        for _ in range(3):
            answers = []
            for domain, kwargs in asked:
                answer = tracker.past_states(domain, **kwargs)
                assert answer == recompute(tracker, domain, **kwargs)
                answers.append(answer)
                if stored is not None:
                    assert tracker.__dict__[tuning.STATES] is stored  # not computed again
            stored = tracker.__dict__[tuning.STATES]
            assert len(stored[1]) == len(asked)
            differed |= {i for i in range(1, len(answers)) if answers[i] != answers[i - 1]}
            for answer in answers:  # a featuriser changes the last state in place
                answer[-1].clear()
                answer.append({})
    assert differed >= {1, 2, 3}  # each argument mattered at some event
    filled = DialogueStateTracker("u3", FORM_DOMAIN.slots)
    for event in events[:12]:  # the district filled in
        filled.update(event)
    ml = filled.past_states(FORM_DOMAIN, ignore_rule_only_turns=True, rule_only_data=rule_only)
    rule_only["rule_only_slots"].clear()  # the caller changed its rule-only data: it is seen
    again = filled.past_states(FORM_DOMAIN, ignore_rule_only_turns=True, rule_only_data=rule_only)
    assert again != ml
    assert again == recompute(
        filled, FORM_DOMAIN, ignore_rule_only_turns=True, rule_only_data=rule_only
    )
    tracker.events = deque(events[:9])  # a new sequence (Rasa's reset makes a new deque)
    assert tracker.past_states(FORM_DOMAIN) == recompute(tracker, FORM_DOMAIN)
    full = DialogueStateTracker("u2", FORM_DOMAIN.slots, max_event_history=4)
    for event in events[:12]:  # a bounded history drops its first event as it appends
        full.update(event)
        assert full.past_states(FORM_DOMAIN) == recompute(full, FORM_DOMAIN)


def _random_event(rng: random.Random) -> Event:
    """Return one event of a service dialogue: forms, hidden rule turns, undoing, restarts."""
    intent = rng.choice(["apply_housing", "inform", "stop", "greet"])
    kinds: list[Callable[[], Event]] = [
        lambda: ActionExecuted("action_listen"),
        lambda: UserUttered("话", {"name": intent}, rng.choice([[], [{"entity": "district"}]])),
        lambda: ActionExecuted(
            rng.choice(["housing_form", "utter_ask_continue"]), hide_rule_turn=rng.random() < 0.4
        ),
        lambda: FollowupAction(rng.choice(["housing_form", "utter_ask_continue"])),
        lambda: ActiveLoop(rng.choice(["housing_form", None])),
        lambda: SlotSet(
            rng.choice(["district", "household_size", "consent"]),
            rng.choice([None, 2.0, True, "渝北区"]),
        ),
        lambda: SlotSet("requested_slot", rng.choice(["district", None])),
        UserUtteranceReverted,
        ActionReverted,
        Restarted,
        SessionStarted,
    ]
    weights = [6, 6, 5, 2, 2, 5, 2, 1, 1, 0.3, 0.3]
    return rng.choices(kinds, weights)[0]()


def test_the_dialogue_states_of_random_dialogues_equal_rasas_event_by_event() -> None:
    recompute = DialogueStateTracker.past_states.__wrapped__  # type: ignore[attr-defined]
    rng = random.Random(20261130)
    asked = [
        {},
        {"omit_unset_slots": True},
        {
            "ignore_rule_only_turns": True,
            "rule_only_data": {"rule_only_slots": ["district"], "rule_only_loops": []},
        },
        {"ignore_rule_only_turns": True, "rule_only_data": {"rule_only_loops": ["housing_form"]}},
    ]
    compared = 0
    for dialogue in range(40):
        tracker = DialogueStateTracker(f"r{dialogue}", FORM_DOMAIN.slots)
        for _ in range(60):
            tracker.update(_random_event(rng))
            for kwargs in rng.sample(asked, rng.randint(1, len(asked))):
                assert tracker.past_states(FORM_DOMAIN, **kwargs) == recompute(
                    tracker, FORM_DOMAIN, **kwargs
                )
                compared += 1
    assert compared > 4000


def _random_rule_state(rng: random.Random, *, rule: bool) -> dict[str, Any]:
    """Return a dialogue state, or a rule's (which may say a value should not be set)."""
    unset = ["should_not_be_set"] if rule else []
    state: dict[str, Any] = {}
    if rng.random() < 0.85:
        name = rng.choice(["action_listen", "housing_form", "utter_greet", "", *unset])
        state["prev_action"] = {"action_name": name} if rng.random() < 0.95 else {}
    if rng.random() < 0.7:
        state["user"] = {"intent": rng.choice(["greet", "inform", "stop", *unset])}
        if rng.random() < 0.3:
            entities = ["district"] if rule else ("district",)
            state["user"]["entities"] = entities  # a rule key read back has lists
    if rng.random() < 0.5:
        value = rng.choice([[1.0], [0.0], *([unset] if rule else [])])
        state["slots"] = {"district": value if rule else tuple(value)}
    if rng.random() < 0.4:
        state["active_loop"] = {"name": rng.choice(["housing_form", *unset])}
    return state


def test_the_rules_found_through_the_index_are_rasas() -> None:
    policy = object.__new__(RulePolicy)  # the method reads nothing of a trained policy
    rasas = RulePolicy._get_possible_keys.__wrapped__  # type: ignore[attr-defined]
    rng = random.Random(20261130)
    lookup = {
        json.dumps([_random_rule_state(rng, rule=True) for _ in range(rng.randint(0, 3))]): "x"
        for _ in range(400)
    }
    found = 0
    for _ in range(600):
        states = [_random_rule_state(rng, rule=False) for _ in range(rng.randint(0, 6))]
        ours = policy._get_possible_keys(lookup, states)
        assert ours == rasas(policy, lookup, states)
        found += len(ours)
    assert found > 600  # rules did apply, not only none
    lookup[json.dumps([{"prev_action": {"action_name": "utter_new"}}])] = "y"  # a changed lookup
    state = [{"prev_action": {"action_name": "utter_new"}}]
    assert policy._get_possible_keys(lookup, state) == rasas(policy, lookup, state) != set()


def test_a_slot_copies_itself_as_copy_copy_did(monkeypatch: pytest.MonkeyPatch) -> None:
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    tracker = DialogueStateTracker("u1", domain.slots)
    tracker.update(SlotSet("district", "渝北区"))
    fast = {name: copy.copy(slot) for name, slot in tracker.slots.items()}
    monkeypatch.delattr(Slot, "__copy__")
    for name, slot in tracker.slots.items():
        cls = type(slot)
        # copy.copy's path for a plain object: no class of the slot's changes it
        hooks = {"__slots__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__"}
        assert not any(hooks & set(vars(c)) for c in cls.__mro__ if c not in (ABC, object))
        rasa_copy = copy.copy(slot)
        assert type(fast[name]) is cls and fast[name] is not slot
        assert fast[name].__dict__ == rasa_copy.__dict__
    assert {type(slot).__name__ for slot in tracker.slots.values()} >= {"TextSlot", "BooleanSlot"}
    fast["district"].value = "江北区"  # a copy's value is its own
    assert tracker.get_slot("district") == "渝北区"
    assert DialogueStateTracker("u2", domain.slots).get_slot("district") is None


def test_ted_cache_size_is_read_from_the_environment() -> None:
    assert tuning.ted_cache_size({}) == 2048
    assert tuning.ted_cache_size({"TED_CACHE_SIZE": "0"}) == 0
    assert tuning.ted_cache_size({"TED_CACHE_SIZE": "500"}) == 500
    for bad in ("-1", "lots"):
        with pytest.raises(ValueError, match="TED_CACHE_SIZE"):
            tuning.ted_cache_size({"TED_CACHE_SIZE": bad})


def test_dialogue_states_key_the_same_whatever_their_order_and_differ_by_content() -> None:
    one = [{"user": {"intent": "greet"}, "prev_action": {"action_name": "action_listen"}}]
    same = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]
    other = [{"user": {"intent": "thanks"}, "prev_action": {"action_name": "action_listen"}}]
    assert tuning._frozen(one) == tuning._frozen(same)
    assert tuning._frozen(one) != tuning._frozen(other)
    with pytest.raises(TypeError):
        tuning._frozen([{"slots": {"district": ["unhashable"]}}])


class _CyclicProcessor:
    """Stands in for Rasa's MessageProcessor: a model that only the cycle collector frees."""

    def __init__(self, model_path: str, **_: object) -> None:
        self.model_path = model_path
        self.domain = DOMAIN
        self.itself = self  # a reference cycle, as a loaded model's graphs have


def test_a_loaded_model_is_frozen_and_a_replaced_one_freed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rasa.core.agent, "MessageProcessor", _CyclicProcessor)
    agent = Agent()
    try:
        agent.load_model("first")
        first = weakref.ref(agent.processor)
        # the loaded objects are out of the collector's walk (gc.get_objects lists the rest)
        assert gc.get_freeze_count() > 0
        assert not any(o is first() for o in gc.get_objects())
        agent.load_model("second")
        gc.collect()
        assert first() is None  # the replaced model was handed back and freed
        assert agent.processor.model_path == "second"
        assert not any(o is agent.processor for o in gc.get_objects())
    finally:
        gc.unfreeze()


def _graph() -> Any:
    """A traced function with an input signature, as Rasa traces DIET's and TED's prediction."""
    import tensorflow as tf

    signature = [[tf.TensorSpec([None, 2], tf.float32), tf.TensorSpec([None], tf.int64)]]
    return tf.function(lambda batch: {"sum": tf.reduce_sum(batch[0], axis=1) + tf.cast(
        batch[1], tf.float32)}, input_signature=signature)  # fmt: skip


def test_a_direct_call_gives_the_graphs_answer_and_after_a_failure_steps_aside(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np

    function = _graph()
    direct = tuning.DirectCall(function)
    batch = (np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32), np.array([10, 20]))
    assert np.array_equal(direct(batch)["sum"].numpy(), function(batch)["sum"].numpy())
    assert direct((batch[0].astype(np.float64), batch[1])) is None  # not the signature's dtype
    assert direct((batch[0][:, :1], batch[1])) is None  # not its shape
    calls: list[int] = []

    def broken(*_args: Any) -> Any:
        calls.append(1)
        raise TypeError("another TensorFlow")

    monkeypatch.setattr(direct._concrete, "_call_flat", broken)
    assert direct(batch) is None  # Rasa's own call takes this batch
    assert direct(batch) is None
    assert calls == [1]  # and every later one, without trying the graph again


def _debug_line_calls(tree: ast.AST) -> set[int]:
    """Return the ids of the AST nodes inside ``structlogger.debug(...)`` calls."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "debug"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "structlogger"
        ):
            inside.update(id(child) for child in ast.walk(node))
    return inside


@pytest.mark.parametrize("name", tuning.DEBUG_COPY_MODULES)
def test_every_deep_copy_in_the_shimmed_modules_is_for_a_debug_line(name: str) -> None:
    # a Rasa that deep-copies for its own use in these modules must not get the shim
    module = importlib.import_module(name)
    tree = ast.parse(Path(inspect.getfile(module)).read_text(encoding="utf-8"))
    debug = _debug_line_calls(tree)
    copies = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "copy"
    ]
    assert copies  # the shim has something to do
    assert all(node.func.attr == "deepcopy" and id(node) in debug for node in copies)  # type: ignore[attr-defined]


def test_a_debug_lines_copy_is_made_only_when_debug_lines_are_logged() -> None:
    tuning.install()
    from rasa.core import processor

    shim = processor.copy
    assert isinstance(shim, tuning.DebugCopies)
    logger = logging.getLogger("rasa.core.processor")
    events = [SlotSet("phone", "13812345678"), BotUttered("收到。", {"buttons": [{"title": "好"}]})]
    level = logger.level
    try:
        logger.setLevel(logging.INFO)
        assert shim.deepcopy(events) is events  # nothing will be logged: no snapshot
        logger.setLevel(logging.DEBUG)
        snapshot = shim.deepcopy(events)
        assert snapshot == events and snapshot is not events
        assert snapshot[1].data is not events[1].data  # a deep copy, as Rasa's
    finally:
        logger.setLevel(level)
    assert shim.copy is copy.copy
