"""Replicate until the question is answered (`replications: auto`).

A run answers questions: is each target met or missed (an interval of its KPI
wholly on one side of the bound), and, where the scenario sets no target, is each
design better or worse than the first on the headline KPIs (the sign of the
paired interval), or, for one design, how large they are (an interval within
`precision` of the mean). The replications go on in batches, every design on
the same seeds (common random numbers), until each question is settled or too
close to call at the precision asked (its interval within `precision` of the
bound: a gap that small would not change the decision), between `least` and
`most` replications. Replication i has the seed it has in a fixed run, so a run
that stops at n gives exactly the numbers of n fixed replications, and the same
seed stops at the same n.

Looking at the intervals after each batch is a sequential procedure, and every
look is one more chance to stop on a lucky spread. So the looks are few and fixed
in advance (`looks`: `least`, then doubling, then `most`: 10, 20, 40, 80, 100),
and each look decides at a level that shares the 5% error among them
(Bonferroni: 99% with five looks): the chance that a run states a wrong verdict
at any look stays at most what one 95% interval allows. The intervals reported
are the usual 95% ones. `tests/test_sequential.py` measures the coverage this
gives on M/M/c.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from orgsim.config.schema import Auto, Target
from orgsim.measure.stats import Interval, interval, paired
from orgsim.report import format as fmt
from orgsim.report.figures import TRADE_OFF

QUESTION_KPIS = TRADE_OFF
"""What a run is about when no target says: the trade-off the report's first screen draws."""

SETTLED, CLOSE, OPEN = "settled", "too close to call", "open"


@dataclass(frozen=True)
class Question:
    """One thing the output states: a target's bound (`bound`), a paired difference against
    another design (`against`), or, with neither, a KPI's size."""

    design: str
    kpi: str
    bound: float | None = None
    against: str | None = None
    side: int = 0
    """+1 when the KPI must be at least `bound`, -1 at most."""

    def describe(self) -> str:
        if self.bound is not None:  # as the headline words a target
            low, high = (None, self.bound) if self.side < 0 else (self.bound, None)
            return f"{self.design}: {fmt.target(self.kpi, low, high)}"
        if self.against is not None:
            return f"{self.design} - {self.against}: {self.kpi}"
        return f"{self.design}: {self.kpi}"

    def interval(self, kpis: Mapping[str, pd.DataFrame], level: float = 0.95) -> Interval:
        values = kpis[self.design][self.kpi].to_numpy()
        if self.against is None:
            return interval(values, level)
        return paired(values, kpis[self.against][self.kpi].to_numpy(), level)

    def met(self, kpis: Mapping[str, pd.DataFrame], level: float = 0.95) -> bool | None:
        """A target's bound: surely met (True), surely missed (False) or not yet known, on
        an interval of confidence `level`."""
        found = self.interval(kpis, level)
        if found.n < 2 or math.isnan(found.low):
            return None
        low, high = self.side * (found.low - self.bound), self.side * (found.high - self.bound)
        return True if min(low, high) >= 0 else False if max(low, high) < 0 else None

    def answer(
        self, kpis: Mapping[str, pd.DataFrame], precision: float, level: float = 0.95
    ) -> str:
        """Settled, too close to call or open. A verdict (a bound met or missed, a design
        better or worse) is decided on an interval of confidence `level`; a size, and
        whether a verdict is too close to call, are precisions (they state no verdict),
        judged on the usual 95% interval."""
        found = self.interval(kpis)
        if not found.n or math.isnan(found.mean):
            return SETTLED  # never defined in this design: nothing to decide
        if found.n < 2:
            return OPEN
        half = (found.high - found.low) / 2
        if self.bound is None and self.against is None:  # a size, to the precision asked
            return SETTLED if half <= precision * abs(found.mean) else OPEN
        threshold = 0.0 if self.bound is None else self.bound
        decided = self.interval(kpis, level)
        if not decided.low < threshold < decided.high:
            return SETTLED
        base = self.bound if self.against is None else kpis[self.against][self.kpi].mean()
        return CLOSE if half <= precision * abs(base) else OPEN


def questions(
    designs: list[str], targets: Mapping[str, Target], reported: Mapping[str, Iterable[str]]
) -> list[Question]:
    """What the output of these designs states (`reported`: each design's KPIs): every
    target's bound in every design; without targets, each design against the first on the
    headline KPIs, or one design's headline KPIs."""

    def reports(design: str, kpi: str) -> bool:
        return kpi in reported[design]

    if targets:
        return [
            Question(design, kpi, bound=bound, side=side)
            for design in designs
            for kpi, target in targets.items()
            for bound, side in ((target.min, 1), (target.max, -1))
            if bound is not None and reports(design, kpi)
        ]
    first, others = designs[0], designs[1:]
    if not others:
        return [Question(first, kpi) for kpi in QUESTION_KPIS if reports(first, kpi)]
    return [
        Question(design, kpi, against=first)
        for design in others
        for kpi in QUESTION_KPIS
        if reports(design, kpi) and reports(first, kpi)
    ]


@dataclass(frozen=True)
class Stop:
    """Why a run replicated as often as it did."""

    replications: int
    reason: str
    open: list[str]
    """The questions still open when the budget ran out."""
    close: list[str]
    """The questions too close to call at the precision asked."""

    def in_words(self) -> str:
        named = "".join(
            f"; {label}: {_some(questions)}"
            for label, questions in (("open", self.open), ("too close to call", self.close))
            if questions
        )
        return f"replications: auto, {self.replications} ({self.reason}{named})"

    def to_json(self) -> dict:
        return {"mode": "auto", "reason": self.reason, "open": self.open, "close": self.close}


def _some(questions: list[str], shown: int = 3) -> str:
    more = len(questions) - shown
    return ", ".join(questions[:shown]) + (f" and {more} more" if more > 0 else "")


def looks(auto: Auto) -> list[int]:
    """The counts at which a run may stop, fixed before it starts: `least`, doubling, then
    `most`."""
    counts, n = [], auto.least
    while n < auto.most:
        counts.append(n)
        n *= 2
    return [*counts, auto.most]


def level(auto: Auto) -> float:
    """The confidence each look decides at: 95% shared between the looks (Bonferroni), so
    that the looks together state a wrong verdict at most 5% of the time."""
    return 1 - 0.05 / len(looks(auto))


def _next_look(n: int, auto: Auto) -> int:
    return next(count for count in looks(auto) if count > n)


def next_count(
    n: int, asked: Iterable[Question], kpis: Mapping[str, pd.DataFrame], auto: Auto
) -> tuple[int, int, Stop | None]:
    """The replications to reach next (the next look), how many questions are open, and
    the stop when every question is answered (or the budget is spent)."""
    answers = {q: q.answer(kpis, auto.precision, level(auto)) for q in asked}
    still = [q for q, status in answers.items() if status == OPEN]
    close = [q.describe() for q, status in answers.items() if status == CLOSE]
    if n >= auto.least and not still:
        reason = f"{len(answers) - len(close)} of {len(answers)} questions settled"
        if close:
            reason += f", {len(close)} within {auto.precision:.0%} and too close to call"
        return n, 0, Stop(n, reason, [], close)
    if n >= auto.most:
        reason = f"the most, {auto.most}, reached with {len(still)} of {len(answers)} open"
        return n, len(still), Stop(n, reason, [q.describe() for q in still], close)
    return _next_look(n, auto), len(still), None


def feasibility(
    n: int, asked: list[Question], kpis: Mapping[str, pd.DataFrame], auto: Auto
) -> tuple[int, int, Stop | None]:
    """The planner's rule for one plan: rejected as soon as one target is surely missed; a
    plan that may be feasible runs the most (what a fixed count would run), so it is
    accepted on the same evidence as without early looks (its roles keeping up and its
    utilization cap are judged on those replications too). The looks and their level are
    a run's (`looks`, `level`)."""
    said = [q.met(kpis, level(auto)) for q in asked]
    still = sum(verdict is None for verdict in said)
    if n >= auto.least and False in said:
        return n, 0, Stop(n, "a target surely missed", [], [])
    if n >= auto.most:
        open_ = [q.describe() for q, verdict in zip(asked, said, strict=True) if verdict is None]
        return n, still, Stop(n, f"the most, {auto.most}, reached", open_, [])
    return _next_look(n, auto), still, None
