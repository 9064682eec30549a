"""``python -m bot.bench`` (``make bench``): measure, print the table, write JSON and a plot.

Settings (environment, or the options below): ``BENCH_QUICK=1`` for the smoke
run (about 5 minutes), ``BENCH_TARGETS=echo,stock,yucai,yucai_prod`` to choose,
``BENCH_TRAIN=0/1`` to skip or force M6's training of Yucai (on in the full run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import sys
import time
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.bench import report, scripts, targets, training
from bot.bench.knowledge import search_time
from bot.bench.measure import FULL, QUICK, Plan, Script, measure
from bot.bench.plot import latency_plot
from bot.launcher import ROOT
from bot.topology import missing_service

OUT = ROOT / "var" / "bench"
NAMES = ("echo", "stock", "yucai", "yucai_prod")
SCRIPTS = {
    "echo": Script(scripts.cycling(scripts.ECHO_CONVERSATIONS), scripts.ECHO_CONVERSATIONS[0], ()),
    "stock": Script(
        scripts.cycling(scripts.STOCK_CONVERSATIONS), scripts.STOCK_LONG, ("hello", "I am sad")
    ),
    "yucai": Script(scripts.yucai_mix(), scripts.YUCAI_LONG, scripts.POLICY_QUESTIONS),
    "yucai_prod": Script(scripts.yucai_mix(), scripts.YUCAI_LONG, scripts.POLICY_QUESTIONS),
}


def _flag(name: str) -> bool | None:
    value = os.environ.get(name, "").strip().lower()
    return None if not value else value in ("1", "true", "yes")


def _say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _interrupted(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds the context managers: every server is stopped


def machine() -> dict[str, Any]:
    """Say what ran the bench, and how busy the machine was (shared machines are noisy)."""
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "loadavg": list(os.getloadavg())}  # fmt: skip


def _start(
    name: str, run_dir: Path, base_env: dict[str, str], model: Path, stock: dict[str, Any]
) -> AbstractContextManager[targets.Running]:
    logs = run_dir / "logs" / name
    if name == "echo":
        return targets.echo(logs, base_env)
    if name == "stock":
        return targets.stock(logs, base_env, Path(stock["project"]), Path(stock["model"]))
    if name == "yucai":
        return targets.yucai(run_dir / "work" / name, logs, base_env, model)
    return targets.yucai_prod(logs, base_env, model)


class BenchRun:
    """One run: its directory, budget and results, written after every phase.

    A run cut short (``timeout``, Ctrl-C) still leaves what it measured in
    ``var/bench/latest``.
    """

    def __init__(self, plan: Plan, names: list[str], model: Path, out: Path) -> None:
        self.plan, self.names, self.model, self.out = plan, names, model, out
        self.deadline = time.monotonic() + plan.budget_s
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.run_dir = out / stamp
        self.run_dir.mkdir(parents=True)
        self.base_env = {**os.environ, **targets.COMMON_ENV}
        self.stock: dict[str, Any] = {}
        self.results: dict[str, dict[str, Any]] = {name: {"status": "not run"} for name in names}
        self.outcome: dict[str, Any] = {
            "run": stamp,
            "plan": plan.__dict__,
            "machine": machine(),
            "run_dir": str(self.run_dir),
            "targets": self.results,
        }

    def left(self) -> float:
        """Return the seconds of the budget still left."""
        return self.deadline - time.monotonic()

    def checkpoint(self) -> None:
        """Write what has been measured so far."""
        self.outcome["machine"]["loadavg_end"] = list(os.getloadavg())
        self.outcome["rows"] = report.rows(self.results)
        write(self.outcome, self.out)

    def prepare(self) -> None:
        """Time the knowledge search (M7) and make sure the stock bot is trained."""
        for name in self.names:
            if name.startswith("yucai") and not self.model.exists():
                self.results[name]["status"] = f"skipped: no model at {self.model} (make train)"
        if "yucai" in self.results:
            _say("M7: knowledge search in-process")
            passes = 20 if self.plan is FULL else 3
            self.results["yucai"]["m7"] = search_time(passes=passes, seconds=20)
        if "stock" in self.results:
            _say("stock bot: rasa init (trained once per Rasa version, then cached)")
            logs = self.run_dir / "logs"
            self.stock = training.stock_bot(self.out / "cache", self.base_env, logs)
            figures = ("wall_s", "peak_rss_mib", "cached")
            self.results["stock"]["m6"] = {k: self.stock[k] for k in figures}

    def target(self, name: str) -> None:
        """Start, measure and stop one target, unless the budget or a service is missing."""
        result = self.results[name]
        left = self.left()
        if result["status"].startswith("skipped"):
            return
        if left < dict(self.plan.needs)[name]:
            result["status"] = f"skipped: {left:.0f} s of the budget left"
            return
        if name == "yucai_prod" and (problem := missing_service()):
            result["status"] = f"skipped: {problem}"
            return
        _say(f"{name}: starting, then M4 M1 M3 M2 M5")
        kept = {k: v for k, v in result.items() if k in ("m6", "m7")}
        kept["loadavg_at_start"] = list(os.getloadavg())
        # no process waits for readiness beyond the budget (the launcher's STARTUP_TIMEOUT)
        wait = max(60.0, min(self.plan.cold_start_timeout_s, left - 60))
        env = {**self.base_env, "STARTUP_TIMEOUT": f"{wait:.0f}"}
        self.results[name] = {**kept, "status": "interrupted"}
        try:
            with _start(name, self.run_dir, env, self.model, self.stock) as running:
                bounded = replace(self.plan, cold_start_timeout_s=wait)
                self.results[name] = {**measure(running, SCRIPTS[name], bounded), **kept}
        except Exception as exc:  # noqa: BLE001 - a target that cannot start is reported
            self.results[name] = {**kept, "status": f"failed to start: {exc!r}"[:300]}
        if name == "stock" and (parse := self.results[name].get("parse")):
            # the stock bot's only way to understand a question is one NLU parse (README)
            self.results[name]["m7"] = {"us_per_query": parse["p50_ms"] * 1000}
        _say(f"{name}: {self.results[name]['status']}")

    def train(self) -> None:
        """M6 for Yucai, last: the servers' figures matter more and want a quiet machine."""
        if "yucai" not in self.results or not self.model.exists():
            return
        left = self.left()
        if left < dict(self.plan.needs)["train"]:
            self.results["yucai"]["m6"] = {"skipped": f"{left:.0f} s of the budget left"}
            return
        _say("M6: training Yucai's full model into a scratch directory")
        scratch, logs = self.run_dir / "work" / "train", self.run_dir / "logs"
        self.results["yucai"]["m6"] = training.yucai_model(scratch, self.base_env, logs)


def run(plan: Plan, names: list[str], model: Path, train_yucai: bool, out: Path) -> dict[str, Any]:
    """Measure every named target in turn within the plan's budget; return all results."""
    bench = BenchRun(plan, names, model, out)
    try:
        bench.prepare()
        for name in names:
            bench.target(name)
            bench.checkpoint()
        if train_yucai:
            bench.train()
    finally:  # also when interrupted: whatever was measured is written
        bench.checkpoint()
    return bench.outcome


def write(outcome: dict[str, Any], out: Path) -> str:
    """Write results.json, table.md and latency.png into the run's directory and latest/."""
    run_dir = Path(outcome["run_dir"])
    table = report.render_table(outcome["rows"], list(outcome["targets"]))
    notes = report.statuses(outcome["targets"])
    load = outcome["machine"]
    text = (
        f"make bench ({outcome['plan']['name']}) {outcome['run']} — {load['cpus']} CPUs, "
        f"load average {load['loadavg'][0]:.2f} → {load['loadavg_end'][0]:.2f}; "
        "ratios are to the stock bot in this run\n\n"
        + table + "".join(f"\n- {note}" for note in notes) + "\n"
    )  # fmt: skip
    (run_dir / "results.json").write_text(
        json.dumps(outcome, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    (run_dir / "table.md").write_text(text, encoding="utf-8")
    latency_plot(outcome["targets"], run_dir / "latency.png")
    latest = out / "latest"
    shutil.rmtree(latest, ignore_errors=True)
    latest.mkdir(parents=True)
    for name in ("results.json", "table.md", "latency.png"):
        if (run_dir / name).exists():
            shutil.copy(run_dir / name, latest / name)
    return text


def main(argv: list[str] | None = None) -> int:
    """Run the bench as the environment and options say; print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", default=bool(_flag("BENCH_QUICK")))
    parser.add_argument("--targets", default=os.environ.get("BENCH_TARGETS", ",".join(NAMES)))
    parser.add_argument("--train", dest="train", action="store_true", default=_flag("BENCH_TRAIN"))
    parser.add_argument("--no-train", dest="train", action="store_false")
    parser.add_argument("--model", default=str(ROOT / "models" / "yucai.tar.gz"))
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.targets.split(",") if n.strip()]
    unknown = sorted(set(names) - set(NAMES))
    if unknown:
        parser.error(f"unknown targets {unknown}; choose from {', '.join(NAMES)}")
    plan = QUICK if args.quick else FULL
    train = plan.train_yucai if args.train is None else args.train
    signal.signal(signal.SIGTERM, _interrupted)
    outcome = run(plan, [n for n in NAMES if n in names], Path(args.model), train, Path(args.out))
    print(write(outcome, Path(args.out)), flush=True)
    print(f"results: {outcome['run_dir']} (and {Path(args.out) / 'latest'})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
