"""What the bench says: Yucai's mix of real work, held-out questions, and the plot file."""

from __future__ import annotations

import re
from collections import Counter

from bot.bench import scripts
from bot.bench.knowledge import heldout_questions
from bot.bench.plot import latency_plot


def test_a_housing_request_runs_from_the_first_message_to_its_number():
    import random

    steps = scripts.housing_request(random.Random(1))
    assert len(steps) == 8
    assert {step.kind for step in steps} == {"request"}
    assert steps[0].expect == "告知" and steps[-1].text == "确认提交"
    assert re.fullmatch(steps[-1].expect or "", "HS20261129-4827K")
    assert re.fullmatch(steps[-1].expect or "", "HS20261127-0001")


def test_yucai_mix_is_half_request_flow_and_half_policy_turns():
    next_conversation = scripts.yucai_mix(seed=3)
    kinds = Counter(step.kind for _ in range(50) for step in next_conversation())
    assert kinds["request"] == kinds["policy"] == 80
    policy = [s for s in scripts.YUCAI_LONG if s.kind == "policy"]
    assert all(step.expect == scripts.CITED for step in policy)


def test_held_out_questions_come_without_entity_annotations():
    questions = heldout_questions()
    assert len(questions) > 300
    assert "我要一套渝北的人才公寓" in questions
    assert not any(re.search(r"\]\(", q) for q in questions)


def test_the_plot_is_a_png_when_a_sweep_ran(tmp_path):
    level = {"connections": 1, "turns_per_s": 40.0, "p50_ms": 20.0, "p99_ms": 30.0}
    targets = {"stock": {"m2": {"levels": [level, {**level, "connections": 4}]}}}
    path = tmp_path / "latency.png"
    assert latency_plot(targets, path) is True
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert latency_plot({"echo": {"status": "failed"}}, tmp_path / "none.png") is False
