"""Statistical assertions with tolerances from confidence intervals, for tests that simulate.

Every check runs at LEVEL; a test that makes several checks passes `checks`, and each runs
at 1 - (1 - LEVEL) / checks (Bonferroni), so the test as a whole keeps LEVEL. Designs are
simulated on common random numbers (replication i of each uses one seed), so a directional
claim ("B waits less than A") is judged on the paired interval of B - A.
"""

from __future__ import annotations

from scipy import stats

from orgsim.measure.stats import interval, paired

LEVEL = 0.99


def _level(checks: int) -> float:
    return 1 - (1 - LEVEL) / checks


def assert_in_interval(values, theory: float, what: str, checks: int = 1) -> None:
    """Theory inside the t interval of the replications' mean."""
    level = _level(checks)
    ci = interval(values, level)
    assert ci.low <= theory <= ci.high, (
        f"{what}: theory {theory:.4f} outside the {level:.2%} interval "
        f"[{ci.low:.4f}, {ci.high:.4f}] (mean {ci.mean:.4f}, n={ci.n})"
    )


def assert_below(values, bound: float, what: str, checks: int = 1) -> None:
    """The whole t interval of the replications' mean lies below `bound`."""
    level = _level(checks)
    ci = interval(values, level)
    assert ci.high < bound, f"{what}: {level:.2%} interval [{ci.low:.4f}, {ci.high:.4f}] vs {bound}"


def assert_above(values, bound: float, what: str, checks: int = 1) -> None:
    """The whole t interval of the replications' mean lies above `bound`."""
    level = _level(checks)
    ci = interval(values, level)
    assert ci.low > bound, f"{what}: {level:.2%} interval [{ci.low:.4f}, {ci.high:.4f}] vs {bound}"


def assert_paired_less(smaller, larger, what: str, checks: int = 1) -> None:
    """`smaller` < `larger`, replication by replication on common random numbers: the
    paired interval of smaller - larger lies wholly below zero."""
    level = _level(checks)
    ci = paired(smaller, larger, level)
    assert ci.high < 0, (
        f"{what}: paired {level:.2%} interval of the difference [{ci.low:.4f}, {ci.high:.4f}] "
        f"does not lie below zero (n={ci.n})"
    )


def assert_binomial(k: int, n: int, p: float, what: str, checks: int = 1) -> None:
    """k successes in n independent trials are consistent with probability p: p inside
    the exact (Clopper-Pearson) interval, at family level 99.9% over `checks` checks."""
    level = 1 - 0.001 / checks
    ci = stats.binomtest(int(k), int(n), p).proportion_ci(level)
    assert ci.low <= p <= ci.high, f"{what}: {k}/{n} = {k / n:.4f}, expected {p:.4f}"


def assert_within_budget(values, estimate: float, budget: float, what: str, checks=1) -> None:
    """An analytic estimate within its measured error budget (docs/capacity-accuracy.md) of
    the simulated mean: within `budget` of the mean's t interval, so that the simulation's
    own noise is not charged to the estimate."""
    level = _level(checks)
    ci = interval(values, level)
    assert ci.low - budget <= estimate <= ci.high + budget, (
        f"{what}: estimate {estimate:.4f} further than {budget:.4f} from the {level:.2%} "
        f"interval [{ci.low:.4f}, {ci.high:.4f}] of the simulation"
    )
