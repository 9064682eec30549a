"""Pure figures from raw timings: percentiles, slow-down, growth, the sweep's SLO pick.

Hand-written rather than numpy's: a few lines, exact nearest-rank semantics
that the smoke test pins, and usable from any environment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

#: M2 counts a load level only while its p99 stays at or under this (milliseconds)
SLO_P99_MS = 300.0
#: ...and while at most this share of its turns failed
SLO_MAX_ERROR_RATE = 0.01


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the nearest-rank percentile (``fraction`` in 0..1) of ``values``."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction {fraction} is not within 0..1")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return float(ordered[rank - 1])


@dataclass(frozen=True)
class Summary:
    """Latencies of a batch of turns, in milliseconds, and how many failed."""

    turns: int
    errors: int
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None

    def as_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready data."""
        return asdict(self)


def summarise(latencies_ms: Sequence[float], errors: int = 0) -> Summary:
    """Summarise successful turns' latencies; failures are counted, not timed."""
    if not latencies_ms:
        return Summary(0, errors, None, None, None, None)
    return Summary(
        turns=len(latencies_ms),
        errors=errors,
        p50_ms=percentile(latencies_ms, 0.50),
        p90_ms=percentile(latencies_ms, 0.90),
        p99_ms=percentile(latencies_ms, 0.99),
        max_ms=max(latencies_ms),
    )


def slow_down(latencies_ms: Sequence[float], block: int = 50) -> float:
    """Return p50 of the last ``block`` turns ÷ p50 of the first ``block`` (M3).

    With 200 turns and blocks of 50 this is turns 151–200 over turns 1–50.
    """
    if block <= 0 or len(latencies_ms) < 2 * block:
        raise ValueError(f"need at least {2 * block} turns, got {len(latencies_ms)}")
    first = percentile(latencies_ms[:block], 0.5)
    last = percentile(latencies_ms[-block:], 0.5)
    return last / first


@dataclass(frozen=True)
class Level:
    """One step of the load sweep: connections, achieved turns/s, latency and errors."""

    connections: int
    seconds: float
    turns: int
    errors: int
    p50_ms: float | None
    p99_ms: float | None

    @property
    def turns_per_s(self) -> float:
        """Return the successful turns per second over the level's window."""
        return self.turns / self.seconds if self.seconds > 0 else 0.0

    @property
    def error_rate(self) -> float:
        """Return the share of attempted turns that failed."""
        attempted = self.turns + self.errors
        return self.errors / attempted if attempted else 0.0

    def meets_slo(self, p99_ms: float = SLO_P99_MS) -> bool:
        """Tell whether this level kept p99 within the SLO with (almost) no failures."""
        return (
            self.turns > 0
            and self.p99_ms is not None
            and self.p99_ms <= p99_ms
            and self.error_rate <= SLO_MAX_ERROR_RATE
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the level as JSON-ready data, with its rate and SLO verdict."""
        return {
            **asdict(self),
            "turns_per_s": self.turns_per_s,
            "error_rate": self.error_rate,
            "meets_slo": self.meets_slo(),
        }


def best_within_slo(levels: Sequence[Level], p99_ms: float = SLO_P99_MS) -> Level | None:
    """Return the level with the most turns/s among those within the SLO (M2), if any."""
    within = [level for level in levels if level.meets_slo(p99_ms)]
    if not within:
        return None
    return max(within, key=lambda level: (level.turns_per_s, -level.connections))


def growth_per_10k(rss_before_mib: float, rss_after_mib: float, turns: float) -> dict[str, float]:
    """Extrapolate RSS growth over ``turns`` turns to 10,000 turns (M5), in MiB and %."""
    if turns <= 0 or rss_before_mib <= 0:
        raise ValueError("growth needs turns and a positive starting RSS")
    mib = (rss_after_mib - rss_before_mib) / turns * 10_000
    return {"mib_per_10k": mib, "pct_per_10k": mib / rss_before_mib * 100}


def ratio(value: float | None, reference: float | None) -> float | None:
    """Return ``value ÷ reference``, or None when either is missing or the reference is 0."""
    if value is None or reference is None or reference == 0:
        return None
    return value / reference
