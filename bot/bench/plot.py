"""The sweep as a picture: latency against load for every target (matplotlib, no display)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.bench.report import TARGETS
from bot.bench.stats import SLO_P99_MS


def latency_plot(targets: Mapping[str, Mapping[str, Any]], path: Path) -> bool:
    """Draw p50/p99 against connections and p99 against turns/s; False if nothing to draw."""
    import matplotlib

    matplotlib.use("Agg")  # files only, whatever DISPLAY says
    import matplotlib.pyplot as plt

    swept = {
        name: result["m2"]["levels"]
        for name, result in targets.items()
        if result.get("m2", {}).get("levels")
    }
    if not swept:
        return False
    figure, (by_connections, by_rate) = plt.subplots(1, 2, figsize=(12, 4.8))
    for name, levels in swept.items():
        label = TARGETS.get(name, name)
        measured = [lv for lv in levels if lv["p99_ms"] is not None]
        connections = [lv["connections"] for lv in measured]
        (line,) = by_connections.plot(
            connections, [lv["p99_ms"] for lv in measured], marker="o", label=f"{label} p99"
        )
        by_connections.plot(
            connections, [lv["p50_ms"] for lv in measured], marker=".", linestyle="--",
            color=line.get_color(), label=f"{label} p50",
        )  # fmt: skip
        by_rate.plot(
            [lv["turns_per_s"] for lv in measured], [lv["p99_ms"] for lv in measured],
            marker="o", color=line.get_color(), label=label,
        )  # fmt: skip
    for axes in (by_connections, by_rate):
        axes.axhline(SLO_P99_MS, color="grey", linestyle=":", label="SLO p99 300 ms")
        axes.set_yscale("log")
        axes.set_ylabel("latency per turn (ms)")
        axes.grid(True, which="both", alpha=0.3)
    by_connections.set_xscale("log", base=2)
    by_connections.set_xlabel("concurrent connections")
    by_connections.set_title("latency against connections")
    by_connections.legend(fontsize="x-small")
    by_rate.set_xscale("log")
    by_rate.set_xlabel("achieved turns/s")
    by_rate.set_title("p99 against throughput")
    by_rate.legend(fontsize="x-small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
