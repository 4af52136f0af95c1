"""The journey as a Markov chain on (stage, role that last worked the lead), one per
segment: steady-state entries per hour into every stage, handoffs (their leaks, penalties
and delays) applied exactly where a lead changes role, loops included.

It reads the engine's compiled `Model`, so stages, chances, skill, decay and sources mean
what they mean to the engine. `capacity` turns its flows into loads and waits; `horizon`
follows them week by week.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from orgsim.analytic.workforce import workforce
from orgsim.config.units import WEEK, YEAR
from orgsim.engine.calendar import BUSINESS_HOURS, HolidayCalendar, month_of
from orgsim.engine.model import HandoffPlan, Model, RolePlan, StagePlan
from orgsim.engine.sources import rate_pieces

LONG_RUN = 5 * YEAR
"""How far after the horizon people count as settled for `long_run` (attrition and
backfill at their steady state, every hire past its ramp)."""


def steady(model: Model) -> bool:
    """Whether every queue of the design sees steady arrivals at steady hours: every worked
    role always open, no source confined to business hours, no seasonality."""
    worked = {stage.work.role for stage in model.stages if stage.work is not None}
    return all(model.roles[r].calendar.always for r in worked) and all(
        not s.business_hours and s.seasonality is None for s in model.sources
    )


def source_rates(model: Model, office_hours_only: bool = False) -> np.ndarray:
    """Leads per hour entering each stage, by segment, averaged over the measured window
    (seasonality and business-hours arrivals included); with `office_hours_only`, only the
    sources whose leads arrive in business hours. Shape (segments, stages)."""
    rates = np.zeros((len(model.segments), len(model.stages)))
    warmup, horizon, end = model.warmup, model.horizon, model.end
    for source in model.sources:
        if office_hours_only and not source.business_hours:
            continue
        starts, lengths, rate = rate_pieces(source, end, model.year_offset)
        inside = np.clip(np.minimum(starts + lengths, end) - np.maximum(starts, warmup), 0, None)
        mean_rate = float((rate * inside).sum() / horizon) if horizon > 0 else source.rate
        rates[:, source.enters] += mean_rate * np.asarray(source.mix)
    return rates


def seasons(model: Model) -> list[tuple[float, float]]:
    """(share of the measured window's leads, rate relative to the window's mean) for each
    calendar month in the window; [(1, 1)] without seasonality."""
    if all(source.seasonality is None for source in model.sources):
        return [(1.0, 1.0)]
    hours = np.arange(model.warmup, model.end, 1.0) + 0.5
    share = np.bincount(month_of(hours + model.year_offset), minlength=12) / max(1, len(hours))
    leads = np.array(
        [
            sum(s.rate * (s.seasonality[m] if s.seasonality else 1.0) for s in model.sources)
            for m in range(12)
        ]
    )
    mean = float(share @ leads)
    if mean <= 0:  # no leads at all: every month is alike
        return [(1.0, 1.0)]
    return [(share[m] * leads[m] / mean, leads[m] / mean) for m in range(12) if share[m] > 0]


class Chain:
    """The journey as a Markov chain on (stage, last owner role), for one compiled model."""

    def __init__(self, model: Model, long_run: bool = False):
        self.model = model
        self.stages: list[StagePlan] = model.stages
        self.roles: list[RolePlan] = model.roles
        self.owner = [s.work.role if s.work is not None else -1 for s in self.stages]
        self.n_last = len(self.roles) + 1  # last owner role, or none yet (the last index)
        # the long run: a year well after the horizon, every dated hire in, seats settled
        people = replace(model, warmup=model.end + LONG_RUN, horizon=YEAR) if long_run else model
        self.workforce = [workforce(people, r) for r in self.roles]
        self.ramped = [p.share if r.ramp_skill else 1.0 for p, r in self._people()]
        self.slowness = [p.slowness if r.ramp_speed else 1.0 for p, r in self._people()]
        self.opens = [opens_after(model, role.calendar) for role in self.roles]
        self.size = len(self.stages) * self.n_last
        self.decay = np.ones(len(self.stages))
        """Each stage's response-decay factor, as the latest solve found it."""
        self.office_only = [self._office_hours_only(s) for s in range(len(self.stages))]
        """Per stage, whether the role working it works only inside business hours, so that
        a lead it finishes leaves the stage in business hours."""

    def _people(self):
        return zip(self.workforce, self.roles, strict=True)

    def slot(self, last: int) -> int:
        """Index of a last owner role, or of none yet (-1)."""
        return last if last >= 0 else len(self.roles)

    def state(self, stage: int, last: int) -> int:
        return stage * self.n_last + self.slot(last)

    def handoff(self, stage: int, last: int) -> HandoffPlan | None:
        """The manual handoff a lead meets entering `stage` after role `last`, if any."""
        owner = self.owner[stage]
        if owner < 0 or last < 0 or last == owner:
            return None
        return self.stages[stage].handoffs_in.get(last)

    def _office_hours_only(self, stage: int) -> bool:
        owner = self.owner[stage]
        if owner < 0:
            return False
        calendar = weekly_pattern(self.roles[owner].calendar)
        covered = sum(calendar.worked(b) - calendar.worked(a) for a, b in BUSINESS_HOURS)
        return not calendar.always and abs(covered - calendar.hours_per_week) < 1e-9

    def flows(self, external: np.ndarray, decay: np.ndarray, office: np.ndarray) -> tuple:
        """Entries per hour into each (segment, stage, last role), the share of them kept
        (not leaked in a handoff), and of them those arriving in business hours: from
        `office` sources, or straight from a stage worked only in business hours (its leads
        leave when a rep finishes them) with no buyer delay and no delayed handoff."""
        n_seg, n_stage = len(self.model.segments), len(self.stages)
        entries = np.zeros((n_seg, n_stage, self.n_last))
        timed = np.zeros((n_seg, n_stage, self.n_last))
        keep = np.ones((n_seg, n_stage, self.n_last))
        lasts = range(-1, len(self.roles))
        for g in range(n_seg):
            transfer = np.zeros((self.size, self.size))
            instant = np.zeros((self.size, self.size))
            arrivals = np.zeros(self.size)
            office_arrivals = np.zeros(self.size)
            for s in range(n_stage):
                arrivals[self.state(s, -1)] += external[g, s]
                office_arrivals[self.state(s, -1)] += office[g, s]
            for s, stage in enumerate(self.stages):
                if stage.is_end:
                    continue
                delay = stage.buyer_delay[g]
                prompt = self.office_only[s] and delay.dist == "constant" and delay.value == 0
                chances = {}  # by handoff penalty: most lasts meet none
                for last in lasts:
                    here = self.state(s, last)
                    handoff = self.handoff(s, last)
                    leak = handoff.leak if handoff else 0.0
                    keep[g, s, self.slot(last)] = 1 - leak
                    penalty = handoff.penalty if handoff else 0.0
                    next_last = self.owner[s] if self.owner[s] >= 0 else last
                    if penalty not in chances:
                        chances[penalty] = list(self._chances(stage, g, penalty, decay[s]))
                    for target, p in chances[penalty]:
                        if target >= n_stage:
                            continue  # a built-in end (lost, leaked, churned)
                        to = self.state(target, next_last)
                        transfer[here, to] += (1 - leak) * p
                        if prompt and not self._delayed(target, next_last, g):
                            instant[here, to] += (1 - leak) * p
            total = np.linalg.solve(np.eye(self.size) - transfer.T, arrivals)
            sent = office_arrivals + instant.T @ total  # finished in office hours, sent on
            entries[g] = total.reshape(n_stage, self.n_last)
            timed[g] = sent.reshape(n_stage, self.n_last)
        return entries, keep, timed

    def win_chances(self) -> np.ndarray:
        """Per segment and stage, the chance that a lead there goes on to enter a `won`
        milestone, from the journey's chances with the team's mean skill (no handoff
        leaks or penalties, no response decay): a CRM's stage probability. Zero in a
        `won` milestone itself: that lead has been won."""
        n_stage = len(self.stages)
        chances = np.zeros((len(self.model.segments), n_stage))
        for g in range(len(self.model.segments)):
            moves, wins = np.zeros((n_stage, n_stage)), np.zeros(n_stage)
            for s, stage in enumerate(self.stages):
                if stage.is_end or stage.won:
                    continue
                for target, p in self._chances(stage, g, 0.0, 1.0):
                    if target < n_stage and self.stages[target].won:
                        wins[s] += p
                    elif target < n_stage:
                        moves[s, target] += p
            chances[g] = _absorbed(moves, wins)
        return chances

    def _delayed(self, stage: int, last: int, g: int) -> bool:
        """Whether a manual handoff with a delay meets a lead entering `stage` after `last`."""
        handoff = self.handoff(stage, last)
        return handoff is not None and handoff.delay[g].expected() > 0

    def _chances(self, stage: StagePlan, g: int, penalty: float, decay: float):
        """(target, chance) as the engine draws them: success outcomes scaled by the mean
        skill, the handoff penalty and response decay, rescaled if above 1."""
        factor = (1 - penalty) * decay
        if stage.work is not None:
            role = self.roles[stage.work.role]
            factor *= role.skill[g].expected()
            if role.ramp_skill:
                factor *= self.ramped[role.index]
        base = stage.chances[g]
        chances = [
            p * factor if good else p for p, good in zip(base[:-1], stage.success, strict=False)
        ]
        total = sum(chances)
        if total > 1:
            chances = [p / total for p in chances]
        else:
            chances.append(1 - total)  # otherwise
        return zip(stage.targets, chances, strict=False)


def _absorbed(moves: np.ndarray, wins: np.ndarray) -> np.ndarray:
    """Per stage, the chance of ever winning, where `moves` are the chances between stages
    and `wins` of winning from each: solved on the stages that can reach a win (from
    those, every path ends, so the system has one solution); the others have none, and a
    loop no lead ever leaves (`renewal: 1.0`) is one of them."""
    can = wins > 0
    while True:  # grow the set back along moves into it
        more = can | ((moves[:, can] > 0).any(axis=1))
        if (more == can).all():
            break
        can = more
    chances = np.zeros(len(wins))
    inner = moves[np.ix_(can, can)]
    chances[can] = np.linalg.solve(np.eye(int(can.sum())) - inner, wins[can])
    return chances


def opens_after(model: Model, calendar) -> tuple[np.ndarray, np.ndarray]:
    """Hours until the calendar next opens, for arrivals every half hour of a week (of the
    whole measured window when public holidays make weeks differ), and for those of them in
    business hours (when office-hours sources send leads, holidays included)."""
    holidays = isinstance(calendar, HolidayCalendar) and model.horizon > 0
    start, end = (model.warmup, model.end) if holidays else (0.0, WEEK)
    times = np.arange(start, end, 0.5) + 0.25
    opens = np.array([calendar.next_open(t) for t in times]) - times
    in_week = times % WEEK
    office = np.zeros(len(times), dtype=bool)
    for a, b in BUSINESS_HOURS:
        office |= (in_week >= a) & (in_week < b)
    return opens, opens[office]


def weekly_pattern(calendar):
    """The weekly pattern of a calendar, without its holidays."""
    return calendar.weekly if isinstance(calendar, HolidayCalendar) else calendar


def expected_decay(stage: StagePlan, parts: tuple | None) -> float:
    """The mean response-decay factor over the spread of waits (not the factor at the mean
    wait: decay is convex, and most of it happens to the leads that wait overnight).

    The wait is the handoff delay, plus the time until the role's shift opens (see
    `_opens`: for the share of leads that arrive in office hours, an arrival in those hours;
    for the rest, at any time), plus an exponential queue wait with the formula's mean.
    """
    if stage.decay is None or parts is None:
        return 1.0
    handoff, (anytime, office), queue_wait, office_share = parts
    if not math.isfinite(queue_wait):
        return stage.decay.factor(1e12)
    opens = np.concatenate([anytime, office])
    weights = np.concatenate(
        [
            np.full(len(anytime), (1 - office_share) / len(anytime)),
            np.full(len(office), office_share / len(office)),
        ]
    )
    quantiles = -queue_wait * np.log1p(-(np.arange(8) + 0.5) / 8)
    waits = handoff + opens[:, None] + quantiles[None, :]
    decay = stage.decay
    if decay.half_life is not None:
        factors = decay.floor + (1 - decay.floor) * np.exp2(-waits / decay.half_life)
    else:
        factors = np.interp(waits, decay.times, decay.factors)
    return float(weights @ factors.mean(axis=1))
