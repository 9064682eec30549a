"""What the bench does with one started target: M4, M1, M3, M2, M5 and an NLU parse figure."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.bench import load
from bot.bench.procs import rss_mib
from bot.bench.scripts import Conversation, Step, endless
from bot.bench.stats import Level, best_within_slo, growth_per_10k, percentile, slow_down
from bot.bench.targets import Running


@dataclass(frozen=True)
class Plan:
    """How much of each measurement to do: the full run or the quick smoke."""

    name: str
    m1_turns: int
    m1_seconds: float
    m3_turns: int
    m3_block: int
    m3_seconds: float
    levels: tuple[int, ...]
    window_s: float
    warmup_s: float
    parse_requests: int
    budget_s: float
    train_yucai: bool
    #: a rough need in seconds per target, to skip one the budget cannot finish
    needs: tuple[tuple[str, float], ...] = ()
    warmup_turns: int = 10
    cold_start_timeout_s: float = 600.0


FULL = Plan(
    "full", 400, 90, 200, 50, 240, (1, 2, 4, 8, 16, 32), 10, 2, 100, 22 * 60, True,
    (("echo", 60), ("stock", 240), ("yucai", 300), ("yucai_prod", 420), ("train", 420)),
)  # fmt: skip
QUICK = Plan(
    "quick", 60, 45, 80, 20, 120, (1, 4, 16), 3, 1, 30, 12 * 60, False,
    (("echo", 20), ("stock", 100), ("yucai", 150), ("yucai_prod", 240), ("train", 300)),
)  # fmt: skip


@dataclass(frozen=True)
class Script:
    """What one target is told: its conversations, its long conversation, its parse texts."""

    conversations: Callable[[], Conversation]
    long: Sequence[Step]
    parse_texts: Sequence[str]


def _rss(pids: Sequence[int]) -> list[float]:
    return [rss_mib(pid) for pid in pids]


def measure(running: Running, script: Script, plan: Plan) -> dict[str, Any]:
    """Measure one started target; a failure mid-way keeps what was measured before it."""
    result: dict[str, Any] = {"status": "ok"}
    tally = load.Tally()
    hook = running.hook
    try:
        first = script.conversations()[0]
        seconds = load.first_answer(
            hook, first, since=running.launched_at, timeout=plan.cold_start_timeout_s
        )
        result["m4"] = {"seconds": seconds}
        asyncio.run(
            load.sequential(
                hook, endless(script.conversations), load.Tally(),
                turns=plan.warmup_turns, seconds=60,
            )
        )  # fmt: skip
        result["m1"] = asyncio.run(
            load.sequential(
                hook, endless(script.conversations), tally,
                turns=plan.m1_turns, seconds=plan.m1_seconds,
            )
        )  # fmt: skip
        warm_rss, warm_turns = _rss(running.rasa_pids), tally.turns
        result["m3"] = _long_conversation(running, script, plan, tally)
        result["m2"] = _sweep(running, script, plan, tally)
        result["m5"] = _memory(running, warm_rss, tally.turns - warm_turns)
        result["parse"] = _parse(running, script.parse_texts, plan.parse_requests)
    except Exception as exc:  # noqa: BLE001 - one target's failure must not lose the others
        result["status"] = f"failed: {exc!r}"[:300]
    result["tally"] = tally.as_dict()
    return result


def _long_conversation(
    running: Running, script: Script, plan: Plan, tally: load.Tally
) -> dict[str, Any]:
    latencies = asyncio.run(
        load.one_conversation(
            running.hook, script.long, tally, turns=plan.m3_turns, seconds=plan.m3_seconds
        )
    )
    out: dict[str, Any] = {"turns": len(latencies), "block": plan.m3_block}
    if len(latencies) >= 2 * plan.m3_block:
        out["first_p50_ms"] = percentile(latencies[: plan.m3_block], 0.5)
        out["last_p50_ms"] = percentile(latencies[-plan.m3_block :], 0.5)
        out["slow_down"] = slow_down(latencies, plan.m3_block)
    return out


def _sweep(running: Running, script: Script, plan: Plan, tally: load.Tally) -> dict[str, Any]:
    levels: list[Level] = []
    for connections in plan.levels:
        step = asyncio.run(
            load.level(
                running.hook, script.conversations, tally, connections=connections,
                seconds=plan.window_s, warmup=plan.warmup_s,
            )
        )  # fmt: skip
        levels.append(step)
        if step.error_rate > 0.5:
            break  # the target is failing, not slowing down: more load says nothing
    best = best_within_slo(levels)
    return {
        "levels": [lv.as_dict() for lv in levels],
        "best_tps": best.turns_per_s if best else 0.0,
        "best_conn": best.connections if best else None,
        "peak_tps": max(lv.turns_per_s for lv in levels),
    }


def _memory(running: Running, warm: list[float], turns: int) -> dict[str, Any]:
    """RSS per Rasa process after the load, and its growth extrapolated to 10k turns.

    Where two instances share the load (HAProxy hashes senders), each is taken
    to have served an equal share of the turns.
    """
    after = _rss(running.rasa_pids)
    share = turns / max(1, len(after))
    out: dict[str, Any] = {
        "rss_mib": sum(after) / len(after),
        "rss_each_mib": after,
        "warm_rss_each_mib": warm,
        "turns_between": turns,
        "all_processes_mib": {name: rss_mib(pid) for name, pid in running.processes.items()},
    }
    pairs = zip(warm, after, strict=True)
    growths = [growth_per_10k(a, b, share) for a, b in pairs if a > 0] if share > 0 else []
    if growths:
        out["mib_per_10k"] = sum(g["mib_per_10k"] for g in growths) / len(growths)
        out["pct_per_10k"] = sum(g["pct_per_10k"] for g in growths) / len(growths)
    return out


def _parse(running: Running, texts: Sequence[str], count: int) -> dict[str, Any] | None:
    """Time ``/model/parse`` alone, one request at a time (the NLU share of a turn)."""
    if running.parse_url is None or not texts:
        return None
    latencies: list[float] = []
    deadline = time.monotonic() + 60
    for n in range(count):
        if time.monotonic() > deadline:
            break
        body = json.dumps({"text": texts[n % len(texts)]}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", **running.parse_headers()}
        request = urllib.request.Request(running.parse_url, body, headers)
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        latencies.append((time.perf_counter() - started) * 1000)
    return {"requests": len(latencies), "p50_ms": percentile(latencies, 0.5)}
