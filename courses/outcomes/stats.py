"""The statistics of paired ratings, from SciPy and the standard library.

For each area: the mean before and after, the mean change with its 95% confidence interval
from Student's t distribution (``scipy.stats.ttest_rel``), the share who improved, stayed
the same or declined, and the paired effect size d_z (the mean change divided by the
standard deviation of the changes; Cohen 1988, Lakens 2013).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

CONFIDENCE = 0.95


@dataclass(frozen=True)
class PairedChange:
    pairs: int
    mean_before: float
    mean_after: float
    mean_change: float
    # None when the interval or effect cannot be estimated (fewer than two pairs, or
    # everyone changed by exactly the same amount).
    ci_low: float | None
    ci_high: float | None
    improved: float
    same: float
    declined: float
    effect_size: float | None


def paired_change(before: Sequence[float], after: Sequence[float]) -> PairedChange:
    """Summarise pairs of ratings (``before[i]`` and ``after[i]`` are one person's)."""
    if len(before) != len(after) or not before:
        raise ValueError("paired_change needs the same, non-zero number of ratings each time")
    changes = [a - b for b, a in zip(before, after, strict=True)]
    pairs = len(changes)
    mean_change = statistics.fmean(changes)
    ci_low = ci_high = effect = None
    if pairs > 1:
        spread = statistics.stdev(changes)
        if spread > 0:
            interval = stats.ttest_rel(after, before).confidence_interval(CONFIDENCE)
            ci_low, ci_high = float(interval.low), float(interval.high)
            effect = mean_change / spread
    return PairedChange(
        pairs=pairs,
        mean_before=statistics.fmean(before),
        mean_after=statistics.fmean(after),
        mean_change=mean_change,
        ci_low=_finite(ci_low),
        ci_high=_finite(ci_high),
        improved=sum(c > 0 for c in changes) / pairs,
        same=sum(c == 0 for c in changes) / pairs,
        declined=sum(c < 0 for c in changes) / pairs,
        effect_size=effect,
    )


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
