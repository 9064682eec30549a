"""The bench's figures as rows, ratios to the stock bot, a Markdown table and JSON.

Pure: it reads the per-target results the harness collected (plain dicts, as
written to ``results.json``) and never starts anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.bench.stats import ratio

#: the column every ratio is taken against
REFERENCE = "stock"
#: column order and headings of the table
TARGETS: dict[str, str] = {
    "echo": "echo (ceiling)",
    "stock": "stock rasa init",
    "yucai": "Yucai (make run)",
    "yucai_prod": "Yucai (run-prod)",
}

Result = Mapping[str, Any]


def _get(path: str) -> Callable[[Result], float | None]:
    """Return a reader of the number at dotted ``path`` in a target's results (None if absent)."""

    def read(result: Result) -> float | None:
        value: Any = result
        for key in path.split("."):
            if not isinstance(value, Mapping) or key not in value:
                return None
            value = value[key]
        return float(value) if isinstance(value, int | float) else None

    return read


@dataclass(frozen=True)
class Metric:
    """One row of the table: what it measures, its unit, and which way is better."""

    key: str
    label: str
    unit: str
    better: str  # "lower" or "higher"
    read: Callable[[Result], float | None]
    digits: int = 1
    #: False where a ratio would mean nothing (a count, a load level)
    relative: bool = True


METRICS: tuple[Metric, ...] = (
    Metric("m1_p50_ms", "M1 turn p50, 1 connection", "ms", "lower", _get("m1.p50_ms")),
    Metric("m1_p99_ms", "M1 turn p99, 1 connection", "ms", "lower", _get("m1.p99_ms")),
    Metric("m1_p99_over_p50", "M1 p99 ÷ own p50", "×", "lower", _get("m1.p99_over_p50"), 2),
    Metric("m2_turns_per_s", "M2 turns/s at p99 ≤ 300 ms", "/s", "higher", _get("m2.best_tps")),
    Metric(
        "m2_connections",
        "M2 connections at that rate",
        "conn",
        "higher",
        _get("m2.best_conn"),
        0,
        False,
    ),
    Metric("m2_peak_turns_per_s", "M2 peak turns/s (any p99)", "/s", "higher", _get("m2.peak_tps")),
    Metric("m3_slow_down", "M3 p50 late ÷ early turns", "×", "lower", _get("m3.slow_down"), 2),
    Metric("m4_cold_start_s", "M4 cold start to first answer", "s", "lower", _get("m4.seconds")),
    Metric("m5_rss_mib", "M5 RSS per Rasa process", "MiB", "lower", _get("m5.rss_mib"), 0),
    Metric("m5_growth_pct", "M5 RSS growth per 10k turns", "%", "lower", _get("m5.pct_per_10k"), 2),
    Metric("m6_train_s", "M6 training wall time", "s", "lower", _get("m6.wall_s"), 0),
    Metric("m6_peak_rss_mib", "M6 training peak RSS", "MiB", "lower", _get("m6.peak_rss_mib"), 0),
    Metric("m7_us", "M7 answer lookup per query", "µs", "lower", _get("m7.us_per_query"), 0),
    Metric("parse_p50_ms", "NLU /model/parse p50", "ms", "lower", _get("parse.p50_ms"), 1),
    Metric("errors", "failed turns (all phases)", "", "lower", _get("tally.errors"), 0, False),
)


def rows(targets: Mapping[str, Result]) -> list[dict[str, Any]]:
    """Return every metric's value per target and its ratio to the stock bot."""
    out = []
    for metric in METRICS:
        values = {name: metric.read(result) for name, result in targets.items()}
        reference = values.get(REFERENCE)
        out.append(
            {
                "metric": metric.key,
                "label": metric.label,
                "unit": metric.unit,
                "better": metric.better,
                "values": values,
                "ratios": {
                    name: ratio(value, reference) if metric.relative else None
                    for name, value in values.items()
                },
                "reference": REFERENCE,
            }
        )
    return out


def _number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def cell(value: float | None, rel: float | None, digits: int) -> str:
    """Render one value with its ratio to the stock bot: ``21.3 (0.45×)``."""
    if value is None:
        return "—"
    text = _number(value, digits)
    return f"{text} ({rel:.2f}×)" if rel is not None else text


def render_table(
    table_rows: Sequence[Mapping[str, Any]], targets: Sequence[str] = tuple(TARGETS)
) -> str:
    """Render the rows as a Markdown table (readable as plain text too)."""
    digits = {metric.key: metric.digits for metric in METRICS}
    header = ["metric", "unit", "better", *(TARGETS.get(name, name) for name in targets)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table_rows:
        cells = [
            cell(row["values"].get(name), row["ratios"].get(name), digits.get(row["metric"], 1))
            for name in targets
        ]
        if all(c == "—" for c in cells):
            continue
        arrow = "↓" if row["better"] == "lower" else "↑"
        lines.append("| " + " | ".join([row["label"], row["unit"], arrow, *cells]) + " |")
    return "\n".join(lines)


def statuses(targets: Mapping[str, Result]) -> list[str]:
    """Return one line per target that did not run completely, saying why."""
    return [
        f"{TARGETS.get(name, name)}: {result['status']}"
        for name, result in targets.items()
        if result.get("status", "ok") != "ok"
    ]
