"""Speed changes for the Rasa process that keep its behaviour (issue 13, docs/performance.md).

``install`` is called by ``python -m bot.rasa_server`` (``make run``) and by
``python -m bot.serving`` (the production topology) before Rasa starts:

- **SQLite tracker store.** SQLAlchemy 1.4 opens a new connection for every
  session on an SQLite file (``NullPool``), and SQLite's default rollback
  journal with ``synchronous=FULL`` syncs the disk several times per commit:
  about 17 ms for each turn's save on this machine's disk. Here the tracker
  store keeps one pooled connection and the database runs in WAL mode with
  ``synchronous=NORMAL`` (``TRACKER_SQLITE_SYNCHRONOUS``, default ``normal``):
  a commit costs about 0.1 ms, the file stays consistent whatever happens, and
  no committed turn is lost when a process dies; only a power cut or an
  operating-system crash can lose the last turns before it. ``full`` keeps
  every commit through a power cut too (about 4 ms a commit). PostgreSQL (the
  production topology) is untouched.
- **Checking the action server's answer.** Rasa checks every custom action's
  answer with ``jsonschema.validate``, which first checks the schema itself
  against the 2020-12 meta-schema: that took 46 % of the Rasa process's time
  under load. The answer is still checked against the same schema, with the
  same errors, by a validator built (and its schema checked) once. An answer
  is first checked event by event, each event against its own kind only
  (``event_by_event_check``): the answer that ends a form carries a few
  dozen events, and the schema's ``oneOf`` tried all 23 kinds for each
  (9–14 ms); those per-kind checks are compiled to Python by fastjsonschema
  (``compiled_check``, 0.8 → 0.06 ms for such an answer);
  only an answer that fails that check goes through the whole schema, for
  Rasa's own error.
- **The events that apply.** Every policy asks for the dialogue states of the
  same tracker, and each time Rasa replays its events and first works out
  which of them apply (reverted turns, a form's repeated runs undone):
  ``applied_events``. A tracker keeps that list for its event sequence until
  an event is added (or the sequence replaced) and hands out copies.
- **The dialogue states themselves.** Memoization, RulePolicy, the key of
  TED's cache and TED on a miss each ask the same tracker for its states
  (``past_states``: a copy of the tracker replayed event by event, every
  slot's state taken after each action), four or five times a prediction with
  two sets of arguments. A tracker keeps the states it computed for its event
  sequence, per domain and arguments, and hands out copies (the featurisers
  change the last state in place).
- **Finding the rules that apply.** RulePolicy checks every learned rule (379
  in our model) against the current state, 1–2 ms a call and several calls a
  turn, although a rule's last state names the previous action it follows and
  only a few follow the one that just ran. The rules are grouped once by that
  action, and only the rules of the matching group (and those that name none)
  get Rasa's own check; the rules found are the same.
- **Copying a tracker's slots.** Every new tracker (a replay for the dialogue
  states, a form's temporary tracker, a conversation read back) copies each
  of the domain's ~45 slots with ``copy.copy``, which goes through
  ``__reduce_ex__`` and ``copyreg`` for each: 220 µs a tracker. A slot now
  copies itself the way that path ends (a new object of its class with its
  attributes), in a quarter of the time.
- **Calling DIET's and TED's prediction graph.** Each parse called the traced
  graph through ``tf.function``, which binds and casts the inputs against the
  graph's signature again every time (1.4 of DIET's 3.5 ms). A batch that fits
  the signature is handed to the graph directly (``DirectCall``); the graph and
  its outputs are the same.
- **Copies made only for debug lines.** Rasa's processor, Memoization,
  RulePolicy and forms deep-copy the events, states and slots they pass to
  ``structlogger.debug`` (a snapshot for the log line), and Python evaluates the
  copy whether or not debug logging is on: the events of every action, every
  prediction's dialogue states, the latest message of every form run. In those
  four modules ``copy.deepcopy`` has no other use; there it now copies only when
  the module's logger logs debug lines (``DebugCopies``), as ``--debug`` or
  ``LOG_LEVEL=DEBUG`` make it.
- **The connection to the action server** is kept open between custom action
  calls instead of opened for each (``bot/serving/connections.py``).
- **A new conversation** is stored with its first turn: ``make run``'s
  fail-safe wrapper asks the masking store for the new tracker instead of
  making it and saving it on its own first (``bot/serving/tracker_store.py``).
- **Reading a conversation back.** Rebuilding a tracker looks up each event's
  class by walking every subclass of ``Event`` (``Event.resolve_by_type``):
  in a long conversation that walk was 15 % of the Rasa process's time. The
  class found for a type name is remembered; names not found take Rasa's own
  path (its default, its error). The events are also read as their JSON
  text alone, not as one ORM object per event row (25 % at turn ~200), by
  statements built once (``event_reads``) instead of an ORM query built for
  every read.
- **Running the graphs** (``bot/serving/graph_runner.py``): the NLU and
  policy graphs run in dask's order without dask's scheduler around them.
- **Joining a message's sparse features** (``bot/serving/sparse_features.py``)
  in one step, as scipy joins them, not one featuriser at a time.
- **TED's answer for a dialogue state it has seen.** TED's prediction is a
  function of the last ``max_history`` dialogue states alone (intents,
  entity types, slots that count, the form, the previous action; not the
  user's words), and a service dialogue keeps passing through the same few
  hundred of them, yet its TensorFlow run was 20 % of the Rasa process's time.
  Each TED instance keeps its predictions for the last ``TED_CACHE_SIZE``
  (default 2,048; ``0`` turns it off) distinct state sequences and hands out a
  copy of the stored one; a TED trained on text (end-to-end) is never cached.
- **Building DIET and TED when a model loads.** Rasa gives a loaded model its
  variables by fitting it on one example in graph mode before reading the
  weights (rasa#7096): TensorFlow traces the whole training step, gradients
  and optimiser included, for a graph used once. That was most of the
  model's load. Here the loss of one example is computed eagerly (no
  gradients, no optimiser step), which gives the layers it reaches their
  variables without tracing anything; a layer it does not reach is built
  when prediction is traced right after, and gets its saved weights as it is
  created (TensorFlow's deferred restore). The optimiser's saved state is
  left unread: nothing predicts with it. The weights are the trained ones,
  so every prediction is the same to the last bit
  (``tests/e2e/test_quick_build.py``), prediction still runs as a traced
  graph, and ``Agent.load`` takes 10 s instead of 21. A model loaded to go
  on training (``rasa train --finetune``) takes Rasa's own path, and so does
  any model whose quick build fails.
- **Python's cycle collector and the loaded model.** A loaded model leaves
  about 570,000 objects (TensorFlow's graphs, Rasa's components, the domain)
  that live as long as the process, and the collector's full pass walks all
  of them: 250–450 ms each time, every 10–20 s under load, with every turn of
  the process waiting behind it. Once a model has loaded, those objects are
  moved out of the collector's sight (``gc.freeze``), so a full pass walks
  only what the turns made since; loading another model (``PUT /model``)
  first hands the old model's objects back (``gc.unfreeze``) so it can be
  freed. Nothing is collected less: the frozen objects were never garbage.
"""

from __future__ import annotations

import copy
import gc
import importlib
import json
import logging
import os
import sqlite3
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import numpy as np
import rasa.core.tracker_store as rasa_tracker_store
import tensorflow as tf
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from keras.utils import tf_utils
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.policies.policy import PolicyPrediction, SupportedData
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.constants import DIAGNOSTIC_DATA, DOCS_BASE_URL
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME, TEXT
from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel
from sqlalchemy import bindparam, event, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from bot.serving import connections, graph_runner, sparse_features, tracker_store

logger = logging.getLogger(__name__)

SYNCHRONOUS_LEVELS = ("normal", "full")
_installed: list[bool] = []


def sqlite_synchronous(env: dict[str, str] | None = None) -> str:
    """Return the tracker database's ``synchronous`` level (``normal`` or ``full``)."""
    value = (env if env is not None else os.environ).get("TRACKER_SQLITE_SYNCHRONOUS", "")
    level = value.strip().lower() or "normal"
    if level not in SYNCHRONOUS_LEVELS:
        raise ValueError(f"TRACKER_SQLITE_SYNCHRONOUS must be one of {SYNCHRONOUS_LEVELS}")
    return level


def install() -> None:
    """Apply the changes once per process (idempotent)."""
    if _installed:
        return
    _installed.append(True)
    _install_sqlite()
    _install_action_result_check()
    _install_event_class_cache()
    _install_applied_events_cache()
    _install_past_states_cache()
    Slot.__copy__ = _copied_slot
    _install_rule_index()
    _retrieve_event_data.__wrapped__ = rasa_tracker_store.SQLTrackerStore._retrieve  # type: ignore[attr-defined]
    rasa_tracker_store.SQLTrackerStore._retrieve = _retrieve_event_data
    _install_ted_prediction_cache(ted_cache_size())
    _install_quick_model_build()
    _install_direct_prediction_call()
    _install_frozen_model_objects()
    connections.install()
    tracker_store.install()
    graph_runner.install()
    sparse_features.install()
    _install_debug_copies()


#: Rasa modules whose every ``copy.deepcopy`` is an argument of a ``structlogger.debug`` line
DEBUG_COPY_MODULES = (
    "rasa.core.processor",
    "rasa.core.policies.memoization",
    "rasa.core.policies.rule_policy",
    "rasa.core.actions.forms",
)


class DebugCopies:
    """The ``copy`` module as one Rasa module sees it: deep copies only when it logs debug lines.

    structlog (configured by Rasa with ``filter_by_level``) drops a debug line when the
    module's standard logger does not log debug; the snapshot made for it was thrown away.
    """

    def __init__(self, module: str) -> None:
        self._logger = logging.getLogger(module)
        self.copy = copy.copy
        self.Error = copy.Error

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        """Return a deep copy when the line will be logged, else ``value`` itself (unchanged)."""
        if self._logger.isEnabledFor(logging.DEBUG):
            return copy.deepcopy(value, memo)
        return value


def _install_debug_copies() -> None:
    for name in DEBUG_COPY_MODULES:
        module = importlib.import_module(name)
        if getattr(module, "copy", None) is copy:  # an unknown Rasa keeps its own
            module.copy = DebugCopies(name)  # type: ignore[attr-defined]


def ted_cache_size(env: dict[str, str] | None = None) -> int:
    """Return how many dialogue-state sequences each TED keeps a prediction for."""
    value = (env if env is not None else os.environ).get("TED_CACHE_SIZE", "").strip()
    try:
        size = int(value) if value else 2048
    except ValueError:
        raise ValueError("TED_CACHE_SIZE must be a whole number") from None
    if size < 0:
        raise ValueError("TED_CACHE_SIZE must be 0 (off) or more")
    return size


def _install_sqlite() -> None:
    synchronous = sqlite_synchronous()
    original_engine_kwargs = rasa_tracker_store.create_engine_kwargs

    def engine_kwargs(url: Any) -> dict[str, Any]:
        kwargs = dict(original_engine_kwargs(url))
        if _is_sqlite_file(url):
            # one connection reused by every turn (Rasa calls the store from its event loop)
            kwargs.update(poolclass=QueuePool, pool_size=1, max_overflow=4)
            kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "check_same_thread": False}
        return kwargs

    rasa_tracker_store.create_engine_kwargs = engine_kwargs

    @event.listens_for(Engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
            cursor.execute("PRAGMA busy_timeout=5000")
        finally:
            cursor.close()


def _is_sqlite_file(url: Any) -> bool:
    """Tell whether a tracker store URL names an SQLite file (not ``:memory:``)."""
    text = str(url)
    return text.startswith("sqlite") and ":memory:" not in text and text.rstrip("/") != "sqlite:"


def _install_action_result_check() -> None:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    plainly_valid = event_by_event_check(schema, validator_class)

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        # what jsonschema.validate does, minus checking the (constant) schema on every call
        if plainly_valid(result):
            return True
        error: ValidationError | None = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            "For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    RemoteAction._validate_action_result = validate_action_result


def event_by_event_check(schema: dict[str, Any], validator_class: Any) -> Any:
    """Return a check that passes exactly the answers ``schema`` passes, or says "look closer".

    Rasa's schema lets each event be ``oneOf`` 23 kinds, and jsonschema tries
    every kind for every event, building an error for each kind that does not
    match: 9–14 ms for the few dozen events that end a form. Each kind pins ``event`` to
    its own name (``const``) and ``event`` is required, so an event can only
    ever match the kind named by its ``event``: it satisfies ``oneOf`` exactly
    when it satisfies that kind. The check validates each event against its
    own kind alone; anything it does not pass goes to the full validator, so
    an invalid answer gets the very error Rasa gives (``best_match``). If the
    schema is not shaped so (another Rasa version), every answer takes the
    full validator.
    """
    try:
        events = schema["properties"]["events"]
        item = events["items"]
        kinds = item["oneOf"]
        base = {key: value for key, value in item.items() if key != "oneOf"}
        names = [kind["properties"]["event"]["const"] for kind in kinds]
        if "event" not in base.get("required", ()) or len(set(names)) != len(names):
            raise KeyError("event")
    except (KeyError, TypeError):
        return lambda _result: False
    shell_schema = {
        **schema,
        "properties": {
            **schema["properties"],
            "events": {key: value for key, value in events.items() if key != "items"},
        },
    }
    kind_schemas = {
        name: {**base, "allOf": [kind]} for name, kind in zip(names, kinds, strict=True)
    }
    shell = compiled_check(shell_schema)
    by_name = {name: compiled_check(kind_schema) for name, kind_schema in kind_schemas.items()}
    if shell is None or None in by_name.values():  # jsonschema's own, ~14 times slower
        shell = validator_class(shell_schema).is_valid
        by_name = {name: validator_class(s).is_valid for name, s in kind_schemas.items()}

    def plainly_valid(result: Any) -> bool:
        if not shell(result):
            return False
        for event_data in result.get("events") or ():
            name = event_data.get("event") if isinstance(event_data, dict) else None
            kind = by_name.get(name) if isinstance(name, str) else None
            if kind is None or not kind(event_data):
                return False
        return True

    return plainly_valid


#: the draft the schemas are compiled as: Rasa's schema names none (jsonschema then takes
#: 2020-12), and the keywords it uses (type, properties, required, items as one schema,
#: oneOf, allOf, const, patternProperties) mean the same in draft 7, which fastjsonschema knows
_COMPILED_DRAFT = "http://json-schema.org/draft-07/schema#"


def compiled_check(schema: dict[str, Any]) -> Any:
    """Return ``schema`` compiled to Python by fastjsonschema as a yes/no check, or None.

    What the check passes, jsonschema passes (tests/serving/test_tuning.py);
    anything it does not pass goes to jsonschema, which decides. Compiled, a form's
    answer of two dozen events is checked in about a fifteenth of jsonschema's time
    (row 35). No defaults are filled in: a check never changes the answer it reads.
    """
    try:
        import fastjsonschema
    except ImportError:  # pragma: no cover - pinned in requirements/rasa.lock
        return None
    try:
        check = fastjsonschema.compile({**schema, "$schema": _COMPILED_DRAFT}, use_default=False)
    except Exception:  # noqa: BLE001 - a schema it cannot compile stays jsonschema's
        logger.warning("action answers: schema not compilable; jsonschema checks them")
        return None

    def passes(value: Any) -> bool:
        try:
            check(value)
        except Exception:  # noqa: BLE001 - not passed here: jsonschema decides
            return False
        return True

    return passes


def _install_event_class_cache() -> None:
    original = Event.resolve_by_type
    found: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        cls = found.get(type_name)
        if cls is None:
            cls = original(type_name, default)
            if cls is not None and cls is not default:
                found[type_name] = cls
        return cls

    Event.resolve_by_type = staticmethod(resolve_by_type)


#: attribute of a tracker: (its event sequence, the events that apply)
APPLIED = "_yucai_applied_events"
#: attribute of a tracker: (its event sequence, [(domain, arguments, states), ...])
STATES = "_yucai_past_states"


def _sequence(tracker: DialogueStateTracker) -> tuple[Any, int, Event | None]:
    """Return what tells a tracker's event sequence apart: its deque, length and last event."""
    events = tracker.events
    return (events, len(events), events[-1] if events else None)


def _same_sequence(
    known: tuple[Any, int, Event | None], now: tuple[Any, int, Event | None]
) -> bool:
    # the same deque, as long, with the same last event: a tracker only ever appends; a
    # reset makes a new deque, a bounded one drops its first event as it appends
    return known[0] is now[0] and known[1] == now[1] and known[2] is now[2]


def _install_applied_events_cache() -> None:
    original = DialogueStateTracker.applied_events

    def applied_events(self: DialogueStateTracker) -> list[Event]:
        sequence = _sequence(self)
        known = self.__dict__.get(APPLIED)
        if known is not None and _same_sequence(known[0], sequence):
            return list(known[1])
        applied = original(self)
        self.__dict__[APPLIED] = (sequence, tuple(applied))
        return applied

    applied_events.__wrapped__ = original  # type: ignore[attr-defined]
    DialogueStateTracker.applied_events = applied_events


class _RuleIndex:
    """A rule lookup's keys grouped by what the last state of each rule needs before it.

    Rasa's ``_is_rule_applicable`` at the current state (turn 0) passes a rule whose
    last state has no previous action only if the conversation's has none either (a
    conversation start), never passes one with a previous action against a state
    without one, and passes one that names the previous action only if the state's
    previous action has that name (``_does_rule_match_state``). So those are the only
    rules worth asking it about; it still decides for each of them.
    """

    def __init__(self, lookup: dict[str, Any]) -> None:
        self.keys = frozenset(lookup)
        self.starts: list[str] = []
        self.unnamed: list[str] = []  # a previous action without a name to match on
        self.named: dict[str, list[str]] = {}
        for key in self.keys:
            rule_states = RulePolicy._rule_key_to_state(key)
            previous = rule_states[-1].get(PREVIOUS_ACTION) if rule_states else None
            name = previous.get(ACTION_NAME) if previous else None
            if not rule_states:
                self.unnamed.append(key)  # no state at all: Rasa passes it at once
                self.starts.append(key)
            elif not previous:
                self.starts.append(key)
            elif isinstance(name, str) and name and name != SHOULD_NOT_BE_SET:
                self.named.setdefault(name, []).append(key)
            else:
                self.unnamed.append(key)

    def candidates(self, state: State) -> list[str]:
        previous = state.get(PREVIOUS_ACTION)
        if not previous:
            return self.starts
        name = previous.get(ACTION_NAME)
        named = self.named.get(name, []) if isinstance(name, str) else []
        return named + self.unnamed


def _install_rule_index() -> None:
    original = RulePolicy._get_possible_keys

    def _get_possible_keys(
        self: RulePolicy, lookup: dict[str, Any], states: list[State]
    ) -> set[str]:
        if not states:
            return set(lookup)
        indexes: dict[int, _RuleIndex] = self.__dict__.setdefault("_yucai_rule_indexes", {})
        index = indexes.get(id(lookup))
        if index is None or index.keys != frozenset(lookup):  # a lookup changed (training)
            index = indexes[id(lookup)] = _RuleIndex(lookup)
        current = states[-1]
        possible = {k for k in index.candidates(current) if self._is_rule_applicable(k, 0, current)}
        for turn, state in enumerate(reversed(states[:-1]), start=1):
            possible = {k for k in possible if self._is_rule_applicable(k, turn, state)}
        return possible

    _get_possible_keys.__wrapped__ = original  # type: ignore[attr-defined]
    RulePolicy._get_possible_keys = _get_possible_keys


def _copied_slot(slot: Slot) -> Slot:
    """Return what ``copy.copy`` returns for a slot (no class of a slot has state hooks)."""
    copied: Slot = object.__new__(type(slot))  # copyreg.__newobj__: the class's __new__ is object's
    copied.__dict__.update(slot.__dict__)
    return copied


def _copied_states(value: Any) -> Any:
    """Return dialogue states whose dictionaries and lists are new (the values are shared).

    ``copy.deepcopy`` would do; this is a few times faster on states, whose leaves are
    strings, numbers and tuples.
    """
    if isinstance(value, dict):
        return {key: _copied_states(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied_states(item) for item in value]
    return value


def _install_past_states_cache() -> None:
    original = DialogueStateTracker.past_states

    def past_states(
        self: DialogueStateTracker,
        domain: Domain,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        sequence = _sequence(self)
        known = self.__dict__.get(STATES)
        if known is None or not _same_sequence(known[0], sequence):
            known = (sequence, [])
            self.__dict__[STATES] = known
        arguments = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        for seen_domain, seen_arguments, states in known[1]:
            if seen_domain is domain and seen_arguments == arguments:
                return _copied_states(states)
        states = original(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        stored_arguments = (
            omit_unset_slots,
            ignore_rule_only_turns,
            _copied_states(rule_only_data),
        )
        known[1].append((domain, stored_arguments, _copied_states(states)))
        return states

    past_states.__wrapped__ = original  # type: ignore[attr-defined]
    DialogueStateTracker.past_states = past_states


#: per events table: its read statements (the latest session, every session), built once
_READS: dict[Any, tuple[Any, Any]] = {}


def event_reads(table: Any) -> tuple[Any, Any]:
    """Return the statements reading a sender's events (``sender_id``), as Rasa's query reads them.

    Rasa's ``SQLTrackerStore._event_query`` builds an ORM query on every read: the
    events of the sender from the latest ``session_started`` on (or all of them if
    there is none), by id. Built once here, with the sender a bound parameter, and
    selecting only the events' JSON.
    """
    if table not in _READS:
        sender = bindparam("sender_id")
        every = select(table.c.data).where(table.c.sender_id == sender).order_by(table.c.id)
        start = (
            select(func.max(table.c.timestamp).label("session_start"))
            .where(table.c.sender_id == sender, table.c.type_name == SessionStarted.type_name)
            .subquery()
        )
        latest = every.where(
            or_(table.c.timestamp >= start.c.session_start, start.c.session_start.is_(None))
        )
        _READS[table] = (latest, every)
    return _READS[table]


async def _retrieve_event_data(
    self: rasa_tracker_store.SQLTrackerStore, sender_id: str, fetch_events_from_all_sessions: bool
) -> DialogueStateTracker | None:
    """Rasa 3.6's ``SQLTrackerStore._retrieve``, by statements built once (``event_reads``)."""
    latest, every = event_reads(self.SQLEvent.__table__)
    statement = every if fetch_events_from_all_sessions else latest
    with self.session_scope() as session:
        rows = session.execute(statement, {"sender_id": sender_id}).scalars().all()
        events = [json.loads(data) for data in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None


def _frozen(states: list[State]) -> Hashable:
    """Return a dictionary-free, hashable copy of dialogue states (an error if it can't be)."""
    key = tuple(
        tuple(sorted((kind, tuple(sorted(sub.items()))) for kind, sub in state.items()))
        for state in states
    )
    hash(key)  # a value that cannot be hashed raises TypeError: no caching for this one
    return key


def _copied(prediction: PolicyPrediction) -> PolicyPrediction:
    """Return a prediction the ensemble may change (it zeroes a rejected action in place)."""
    return PolicyPrediction(
        list(prediction.probabilities),
        prediction.policy_name,
        prediction.policy_priority,
        list(prediction.events),
        None,
        prediction.is_end_to_end_prediction,
        prediction.is_no_user_prediction,
        prediction.diagnostic_data,
        prediction.hide_rule_turn,
        prediction.action_metadata,
    )


def _install_ted_prediction_cache(size: int) -> None:
    if size <= 0:
        return
    original = TEDPolicy.predict_action_probabilities

    def predict_action_probabilities(
        self: TEDPolicy,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        precomputations: Any = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        if self.model is None or TEXT in self.fake_features:
            return original(self, tracker, domain, rule_only_data, precomputations, **kwargs)
        ml_only = self.supported_data() == SupportedData.ML_DATA
        # the states TED featurises, as its _featurize_tracker computes them (on a miss TED
        # computes them once more: 2.5 % of its cost, against the 20 % a hit saves)
        (states,) = self.featurizer.prediction_states(
            [tracker],
            domain,
            use_text_for_last_user_input=False,
            ignore_rule_only_turns=ml_only,
            rule_only_data=rule_only_data,
            ignore_action_unlikely_intent=ml_only,
        )
        try:
            key = _frozen(states)
        except TypeError:
            return original(self, tracker, domain, rule_only_data, precomputations, **kwargs)
        cache: OrderedDict[Hashable, PolicyPrediction] = self.__dict__.setdefault(
            "_yucai_predictions", OrderedDict()
        )
        found = cache.get(key)
        if found is not None:
            cache.move_to_end(key)
            return _copied(found)
        prediction = original(self, tracker, domain, rule_only_data, precomputations, **kwargs)
        if not prediction.optional_events:
            cache[key] = _copied(prediction)
            if len(cache) > size:
                cache.popitem(last=False)
        return prediction

    predict_action_probabilities.__wrapped__ = original  # type: ignore[attr-defined]
    TEDPolicy.predict_action_probabilities = predict_action_probabilities


def _install_quick_model_build() -> None:
    original = RasaModel.load.__func__

    def quick_build(
        cls: type[RasaModel],
        model_file_name: str,
        model_data_example: RasaModelData,
        predict_data_example: RasaModelData | None,
        kwargs: dict[str, Any],
    ) -> RasaModel:
        model = cls(**kwargs)
        config = kwargs.get("config", {})
        model.compile(
            optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
            run_eagerly=config.get(RUN_EAGERLY),
        )
        batch, _ = next(iter(RasaBatchDataGenerator(model_data_example, batch_size=1)))
        # the loss of one example, eagerly: every layer it touches gets its variables
        model._training = True
        model.batch_loss(tuple(tf.convert_to_tensor(array) for array in batch))
        model._training = None
        # the optimiser's state is saved with the weights but never used to predict
        model.load_weights(model_file_name).expect_partial()
        if predict_data_example:
            # traces prediction now, not on a user's turn; a layer the loss did not touch is
            # built here and gets its saved weights as it is created (TensorFlow's deferred
            # restore)
            model.run_inference(predict_data_example)
        return model

    def load(
        cls: type[RasaModel],
        model_file_name: str,
        model_data_example: RasaModelData,
        predict_data_example: RasaModelData | None = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        """Rasa's ``RasaModel.load`` without tracing a training step (module docstring)."""
        if not finetune_mode and not args:
            try:
                return quick_build(
                    cls, model_file_name, model_data_example, predict_data_example, kwargs
                )
            except Exception:  # noqa: BLE001 - Rasa's own build below decides what fails
                # never an error here: TED turns a ValueError into a policy without a model
                logger.warning("quick model build failed; building it Rasa's way", exc_info=True)
        return original(
            cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
            *args, **kwargs,
        )  # fmt: skip

    load.__wrapped__ = original  # type: ignore[attr-defined]
    RasaModel.load = classmethod(load)


class DirectCall:
    """Call a traced prediction graph with a batch, without ``tf.function``'s dispatch.

    Rasa traces DIET's and TED's prediction once, with an input signature, so one
    graph (one concrete function) serves every batch. Calling it through the
    ``tf.function`` binds and casts the inputs against that signature again on every
    call: 1.4 of DIET's 3.5 ms a parse, a third of its call. A batch whose arrays have
    the signature's dtypes and fitting shapes goes straight to the graph (TensorFlow
    2.12's ``_call_flat``, Rasa's pinned version); anything else, a call that
    fails, or another TensorFlow, gets ``None`` and takes Rasa's own call.
    """

    def __init__(self, function: Any) -> None:
        """Take ``function``'s one concrete function and what its inputs must be."""
        self._concrete = function.get_concrete_function()
        if not callable(getattr(self._concrete, "_call_flat", None)):
            raise TypeError("this TensorFlow calls graphs differently")
        specs = tf.nest.flatten(self._concrete.structured_input_signature[0])
        self._inputs = [
            (np.dtype(spec.dtype.as_numpy_dtype), tuple(spec.shape.as_list())) for spec in specs
        ]

    def __call__(self, batch_in: Any) -> Any:
        """Return the graph's outputs for ``batch_in``, or None if it does not fit the graph."""
        if not self._inputs or len(batch_in) != len(self._inputs):
            return None
        for array, (dtype, dims) in zip(batch_in, self._inputs, strict=True):
            if not isinstance(array, np.ndarray) or array.dtype != dtype or array.ndim != len(dims):
                return None
            if any(
                size is not None and size != found
                for size, found in zip(dims, array.shape, strict=True)
            ):
                return None
        tensors = [tf.convert_to_tensor(array) for array in batch_in]
        try:
            return self._concrete._call_flat(tensors, self._concrete.captured_inputs)
        except Exception:  # noqa: BLE001 - Rasa's own call runs it again and decides
            logger.warning("direct call of a prediction graph failed", exc_info=True)
            self._inputs = []  # not again: every later batch takes Rasa's call at once
            return None


def _install_direct_prediction_call() -> None:
    original = RasaModel._rasa_predict
    #: each traced prediction function's direct call (None: it has none)
    calls: weakref.WeakKeyDictionary[Any, DirectCall | None] = weakref.WeakKeyDictionary()

    def direct_call(model: RasaModel) -> DirectCall | None:
        function = model._tf_predict_step
        if function is None or model._run_eagerly or not model.prepared_for_prediction:
            return None
        if function not in calls:
            try:
                calls[function] = DirectCall(function)
            except Exception:  # noqa: BLE001 - Rasa's own call is always there
                logger.warning("prediction graph not callable directly", exc_info=True)
                calls[function] = None
        return calls[function]

    def rasa_predict(self: RasaModel, batch_in: Any) -> dict[str, Any]:
        """Rasa's ``_rasa_predict``, the traced graph called directly once it exists."""
        call = direct_call(self)
        outputs = call(batch_in) if call is not None else None
        if outputs is None:  # the first call traces the graph; an odd batch: Rasa's call
            return original(self, batch_in)
        self._training = False
        # the rest of Rasa's _rasa_predict after its graph call, as it is written there
        outputs = tf_utils.sync_to_numpy_or_python_type(outputs)
        if DIAGNOSTIC_DATA in outputs:
            outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
        return outputs

    rasa_predict.__wrapped__ = original  # type: ignore[attr-defined]
    RasaModel._rasa_predict = rasa_predict


def _install_frozen_model_objects() -> None:
    original = Agent.load_model

    def load_model(self: Agent, model_path: Any, fingerprint: str | None = None) -> None:
        """Rasa's ``Agent.load_model``, then the loaded objects out of the collector's way."""
        gc.unfreeze()  # a model loaded before this one may be garbage now
        try:
            original(self, model_path, fingerprint)
        finally:
            gc.collect()  # what loading threw away, so that only live objects are frozen
            gc.freeze()

    load_model.__wrapped__ = original  # type: ignore[attr-defined]
    Agent.load_model = load_model
