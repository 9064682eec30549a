"""The bench's pure parts: percentiles, M3, the sweep's SLO pick, growth, ratios, the table."""

from __future__ import annotations

import pytest

from bot.bench import report
from bot.bench.stats import (
    Level,
    best_within_slo,
    growth_per_10k,
    percentile,
    ratio,
    slow_down,
    summarise,
)


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(0.0, 1.0), (0.01, 1.0), (0.5, 50.0), (0.9, 90.0), (0.99, 99.0), (1.0, 100.0)],
)
def test_percentile_is_the_nearest_rank(fraction, expected):
    values = [float(v) for v in range(100, 0, -1)]  # order must not matter
    assert percentile(values, fraction) == expected


def test_percentile_of_few_values_never_interpolates():
    assert percentile([10.0, 20.0, 30.0], 0.5) == 20.0
    assert percentile([10.0, 20.0, 30.0], 0.99) == 30.0
    assert percentile([7.0], 0.99) == 7.0


@pytest.mark.parametrize("values", [[], [1.0]])
def test_percentile_refuses_nonsense(values):
    with pytest.raises(ValueError):
        percentile(values, 1.5 if values else 0.5)


def test_summary_counts_failures_without_timing_them():
    summary = summarise([5.0, 1.0, 3.0], errors=2)
    assert (summary.turns, summary.errors, summary.p50_ms, summary.max_ms) == (3, 2, 3.0, 5.0)
    empty = summarise([], errors=4)
    assert (empty.turns, empty.errors, empty.p50_ms) == (0, 4, None)


def test_slow_down_compares_turns_151_to_200_with_turns_1_to_50():
    latencies = [60.0] * 50 + [100.0] * 100 + [150.0] * 50
    assert slow_down(latencies, 50) == pytest.approx(2.5)
    with pytest.raises(ValueError):
        slow_down(latencies[:99], 50)


def level(connections: int, turns: int, p99: float | None, errors: int = 0) -> Level:
    return Level(connections, 10.0, turns, errors, None if p99 is None else p99 / 2, p99)


def test_sweep_picks_the_highest_rate_within_the_slo():
    levels = [
        level(1, 200, 40.0),
        level(4, 480, 120.0),
        level(8, 500, 290.0),
        level(16, 520, 900.0),  # more turns, but p99 over 300 ms
    ]
    best = best_within_slo(levels)
    assert best is not None and (best.connections, best.turns_per_s) == (8, 50.0)


def test_a_level_with_failures_does_not_count_however_fast():
    levels = [level(1, 200, 40.0), level(4, 600, 100.0, errors=100)]
    best = best_within_slo(levels)
    assert best is not None and best.connections == 1
    assert levels[1].error_rate == pytest.approx(100 / 700)
    assert levels[1].as_dict()["meets_slo"] is False


def test_no_level_within_the_slo_gives_none():
    assert best_within_slo([level(1, 10, 400.0), level(2, 0, None)]) is None


def test_growth_is_extrapolated_to_ten_thousand_turns():
    growth = growth_per_10k(1000.0, 1010.0, 2500)
    assert growth["mib_per_10k"] == pytest.approx(40.0)
    assert growth["pct_per_10k"] == pytest.approx(4.0)
    with pytest.raises(ValueError):
        growth_per_10k(1000.0, 1010.0, 0)


def test_ratio_needs_both_figures():
    assert ratio(50.0, 25.0) == 2.0
    assert ratio(None, 25.0) is None
    assert ratio(3.0, 0.0) is None
    assert ratio(3.0, None) is None


TARGETS = {
    "echo": {"status": "ok", "m1": {"p50_ms": 0.5, "p99_ms": 1.0}, "tally": {"errors": 0}},
    "stock": {
        "status": "ok",
        "m1": {"p50_ms": 20.0, "p99_ms": 30.0},
        "m2": {"best_tps": 50.0, "best_conn": 4},
        "tally": {"errors": 0},
    },
    "yucai": {
        "status": "ok",
        "m1": {"p50_ms": 50.0, "p99_ms": 60.0},
        "m2": {"best_tps": 25.0, "best_conn": 2},
        "tally": {"errors": 3},
    },
    "yucai_prod": {"status": "skipped: HAProxy is not installed"},
}


def by_metric(rows):
    return {row["metric"]: row for row in rows}


def test_every_figure_gets_its_ratio_to_the_stock_bot():
    rows = by_metric(report.rows(TARGETS))
    p50 = rows["m1_p50_ms"]
    assert p50["values"] == {"echo": 0.5, "stock": 20.0, "yucai": 50.0, "yucai_prod": None}
    assert p50["ratios"] == {"echo": 0.025, "stock": 1.0, "yucai": 2.5, "yucai_prod": None}
    assert rows["m2_turns_per_s"]["ratios"]["yucai"] == 0.5
    assert rows["m2_turns_per_s"]["better"] == "higher"


def test_counts_and_load_levels_get_no_ratio():
    rows = by_metric(report.rows(TARGETS))
    assert rows["m2_connections"]["values"]["yucai"] == 2
    assert set(rows["m2_connections"]["ratios"].values()) == {None}
    assert set(rows["errors"]["ratios"].values()) == {None}


def test_the_table_shows_values_with_ratios_and_leaves_out_empty_rows():
    table = report.render_table(report.rows(TARGETS))
    lines = table.splitlines()
    assert lines[0] == (
        "| metric | unit | better | echo (ceiling) | stock rasa init | Yucai (make run)"
        " | Yucai (run-prod) |"
    )
    p50 = "| M1 turn p50, 1 connection | ms | ↓ | 0.5 (0.03×) | 20.0 (1.00×) | 50.0 (2.50×) | — |"
    assert p50 in lines
    assert "| M2 turns/s at p99 ≤ 300 ms | /s | ↑ | — | 50.0 (1.00×) | 25.0 (0.50×) | — |" in lines
    assert "| M2 connections at that rate | conn | ↑ | — | 4 | 2 | — |" in lines
    assert not any(line.startswith("| M6") for line in lines)  # nobody trained: no row


def test_targets_that_did_not_run_are_named_with_the_reason():
    assert report.statuses(TARGETS) == ["Yucai (run-prod): skipped: HAProxy is not installed"]
