"""Confidence intervals over replications, and paired differences between designs.

Replications are independent, so a KPI's mean gets a Student t interval.
Variants share seeds (common random numbers), so "B minus A" is computed
replication by replication and gets the t interval of the paired
differences, which is far narrower than comparing two separate intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

NAN = float("nan")


@dataclass(frozen=True)
class Interval:
    """Mean of the defined values and its 95% t interval (NaN when it cannot be had)."""

    mean: float
    low: float
    high: float
    n: int
    std: float

    @property
    def excludes_zero(self) -> bool:
        return bool(self.low > 0 or self.high < 0)


def interval(values, confidence: float = 0.95) -> Interval:
    """Student t interval of the mean; NaN values (undefined KPIs) are left out."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return Interval(NAN, NAN, NAN, 0, NAN)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, NAN, NAN, 1, NAN)
    std = float(x.std(ddof=1))
    half = float(special.stdtrit(n - 1, 0.5 + confidence / 2)) * std / np.sqrt(n)  # t quantile
    return Interval(mean, mean - half, mean + half, n, std)


def paired(treatment, baseline, confidence: float = 0.95) -> Interval:
    """Interval of the mean of (treatment - baseline), replication by replication."""
    a = np.asarray(treatment, dtype=float)
    b = np.asarray(baseline, dtype=float)
    return interval(a - b, confidence)  # NaN in either side drops that pair
