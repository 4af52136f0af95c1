"""Where a paired difference's interval comes from: which team was drawn, or lead luck.

Where a role's skill is drawn (`skill: {dist: lognormal, ...}`), each replication draws a
new team, and "design B beats A" is judged over teams as well as over leads: a rep who is
an AE in one design and a full-cycle rep in the other is a new draw, so the team draw can
dominate the interval. `where_from` runs the comparison twice on the same leads, once as
usual and once with today's team drawn once and held (`compare(..., hold_team=True)`), and
splits the variance of each paired difference: with the team held, what is left is lead
luck (for that one team); the rest is the team draw. The share's 95% interval takes the
two variances as independent (the F distribution's, n-1 and n-1 degrees of freedom); the
two runs share their leads, which makes the ratio steadier, so the interval is, if anything,
wider than it needs to be.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from orgsim.config.scenario import Scenario
from orgsim.experiment.compare import Comparison, compare

DOMINATES = 0.5
"""A team-draw share which, when the whole interval lies above it, says a roster
(`people:`) would sharpen the comparison most."""


@dataclass(frozen=True)
class TeamShare:
    """For one design against the baseline and one KPI: the half-widths of the paired
    difference's 95% interval with drawn teams and with the team held, and the share of
    its variance that is the team draw (with a 95% interval; None without spread)."""

    variant: str
    kpi: str
    drawn: float
    held: float
    share: float | None
    low: float | None
    high: float | None

    def describe(self) -> str:
        if self.share is None:
            return f"{self.variant}: no spread to split (the difference is the same every time)"
        if self.held >= self.drawn:
            return (
                f"{self.variant}: ±{self.drawn:.3g} with a new team each replication, "
                f"±{self.held:.3g} with one team held: no sign that the team draw matters "
                f"(at most {self.high:.0%} of the variance, 95%)"
            )
        advice = ""
        if self.low > DOMINATES:
            advice = "; name your reps (people:) or compare with --hold-team to see the design"
        elif self.share > DOMINATES:
            advice = "; not sure it is most of it: run more replications to tell"
        return (
            f"{self.variant}: ±{self.drawn:.3g} with a new team each replication, "
            f"±{self.held:.3g} with one team held; the team draw is {self.share:.0%} of the "
            f"variance (95% interval {self.low:.0%} to {self.high:.0%}){advice}"
        )


def where_from(scenario: Scenario, kpi: str, **run) -> list[TeamShare]:
    """Each design's split of `kpi`'s paired difference against the baseline (`run`: the
    replications, seed, executor and progress `compare` takes)."""
    drawn = compare(scenario, **run)
    held = compare(scenario, hold_team=True, **run)
    return [_split(drawn, held, v, kpi) for v in drawn.variants[1:]]


def _split(drawn: Comparison, held: Comparison, variant: str, kpi: str) -> TeamShare:
    a, b = drawn.difference(variant, kpi), held.difference(variant, kpi)
    if a is None or b is None:  # the design does not report the KPI
        return TeamShare(variant, kpi, math.nan, math.nan, None, None, None)
    n_a, n_b = a.n, b.n
    total, luck = a.std**2, b.std**2
    half = [ci.high - ci.mean for ci in (a, b)]
    if not (total > 0 and n_a > 1 and n_b > 1) or any(math.isnan(h) for h in half):
        return TeamShare(variant, kpi, *half, None, None, None)
    ratio = luck / total
    top, bottom = stats.f.ppf([0.975, 0.025], n_b - 1, n_a - 1)
    return TeamShare(
        variant,
        kpi,
        *half,
        share=max(0.0, 1 - ratio),
        low=max(0.0, 1 - ratio / bottom),
        high=max(0.0, 1 - ratio / top),
    )
