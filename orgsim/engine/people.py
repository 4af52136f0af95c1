"""Who is on the payroll, and when (docs/scenario-language.md): today's reps, attrition, backfill,
dated hires and departures, and PTO.

Every rep sits in a *seat* of its role: today's reps in seats 0, 1, ... in crew order, dated
hires in new seats after them. A seat's occupants follow one another: each leaves after an
exponentially distributed time (constant hazard `attrition`, measured from t = 0 for
today's reps: the hazard has no memory), and with `backfill` the seat's next occupant joins
with tenure 0 a drawn delay after the leaver's notice. A planned departure closes seats:
open vacancies first, then the most recent hires'.

Every draw about a rep (skill, tenure, time to leave, backfill delay, PTO days) is keyed to
(role, seat, occupant), never to the order of events, so designs that differ only in
hiring see the same people in the same seats, and the same leads with the same luck.

Named people (`roles.<r>.people`) sit in their crew's first seats, and every draw about them
is keyed to their name instead: the same person has the same luck in every design, whatever
seat or role they hold. What the roster gives (skill, tenure, PTO days) is taken as written;
a planned departure (`leaves`) closes the person's seat or, with backfill, refills it; a dated
start (`joins`) opens a new seat.

People events (joining, leaving, going on PTO and coming back) run before the lead events
of the same instant: a rep whose PTO starts at midnight is away before anything else
happens then.
"""

from __future__ import annotations

import math

import numpy as np
from simpy.events import URGENT

from orgsim.config.units import DAY, YEAR
from orgsim.engine.calendar import with_days_off, working_days
from orgsim.engine.luck import (
    ATTRITION,
    BACKFILL,
    BLOCK,
    PERSON,
    PTO,
    ROUTING,
    SKILL,
    TENURE,
    Streams,
    key,
)
from orgsim.engine.model import HirePlan, Model, PersonPlan, RolePlan
from orgsim.engine.staff import Crew, Rep, set_routing
from orgsim.engine.transition import switch


class Seat:
    """A place in a role that reps fill one after another."""

    __slots__ = (
        "closed",
        "crew",
        "index",
        "keys",
        "leaves",
        "occupants",
        "person",
        "refills",
        "role",
        "vacant",
    )

    def __init__(
        self, role: RolePlan, crew: int, index: int, streams: Streams, person: PersonPlan | None
    ):
        self.role = role
        self.crew = crew
        self.index = index  # within the role
        self.person = person  # the named person it was made for, if any
        self.occupants = 0  # reps it has had so far
        self.vacant = False  # waiting for its backfill
        self.closed = False  # given up by a planned departure: never refilled
        # what its draws are keyed to: the person's name, or the role and seat
        self.keys = (PERSON, key(person.name)) if person else (key(role.name), index)
        self.leaves = streams.generator(ATTRITION, *self.keys) if role.attrition else None
        self.refills = streams.generator(BACKFILL, *self.keys) if role.backfill else None

    @property
    def about(self) -> tuple[int, ...]:
        """What a new occupant's skill is keyed to (with the role): seat and occupant, or
        the person's name for the person the seat was made for."""
        if self.person is not None:
            return (*self.keys, self.occupants)
        return (self.index, self.occupants)


class People:
    """The crews of one replication and everyone who joins or leaves them."""

    def __init__(self, model: Model, streams: Streams):
        self.model = model
        self.streams = streams
        # today's unnamed team: drawn by each replication, or once for all (hold_team)
        self.team = streams if model.team_seed is None else Streams(model.team_seed)
        self.flow = None  # the replication's LeadFlow, once it exists (see `start`)
        self.seats: list[list[Seat]] = [[] for _ in model.roles]
        self.reps: list[Rep] = []  # everyone, by id
        self.joined: list[int] = []  # ids of the reps who joined during the run
        self.leaving: dict[int, float] = {}  # rep id -> when attrition takes it
        self.all_crews: list[Crew] = []  # every crew there ever was, by id
        self.crews = self._staff()
        self._working_days: dict[int, list[np.ndarray]] = {}

    # -- today's org

    def _staff(self) -> list[list[Crew]]:
        """Every role's crews (one per pod, or one) with today's reps; reps are numbered
        across the org in role order."""
        model, streams = self.model, self.streams
        crews = []
        for role in model.roles:
            named = [[p for p in role.people if p.joins is None and p.crew == c]
                     for c in range(len(role.crews))]  # fmt: skip
            unnamed = role.headcount - sum(map(len, named))
            skills = iter(_skills(role, model, self.team, unnamed))
            hired = iter(_hired(role, self.team, unnamed))
            mine = []
            for c, plan in enumerate(role.crews):
                crew = self.new_crew(role, plan.pod, role.order)
                for i in range(plan.headcount):
                    person = named[c][i] if i < len(named[c]) else None
                    seat = self.new_seat(role, c, person)
                    if person is None:
                        rep = Rep(len(self.reps), len(crew.reps), crew, next(skills), next(hired))
                    else:
                        rep = Rep(len(self.reps), len(crew.reps), crew,
                                  _skill_of(person, seat, model, streams),
                                  -_tenure_of(person, role, streams))  # fmt: skip
                        rep.name = person.name
                    rep.seat = seat
                    seat.occupants = 1
                    crew.add(rep)
                    self.reps.append(rep)
                mine.append(crew)
            crews.append(mine)
        set_routing(crews, model.stages)
        return crews

    def new_crew(self, role: RolePlan, pod: int | None, order: str) -> Crew:
        crew = Crew(
            len(self.all_crews), role, pod, _routing_draws(self.streams, role.name, pod), order
        )
        self.all_crews.append(crew)
        return crew

    def new_seat(self, role: RolePlan, crew: int, person: PersonPlan | None = None) -> Seat:
        seats = self.seats[role.index]
        seats.append(Seat(role, crew, len(seats), self.streams, person))
        return seats[-1]

    # -- the run

    def start(self, flow) -> None:
        """Set today's reps' departures and PTO, and the dated hires, on the flow's clock."""
        self.flow = flow
        for rep in self.reps:
            self.settle(rep, 0.0)
        for plan in self.model.hires:
            self._at(plan.at, self._hire, plan)
        for role in self.model.roles:
            for person in role.people:
                if person.joins is not None:
                    self._at(person.joins, self._join, (role, person))
                if person.leaves is not None:
                    self._at(person.leaves, self._planned_leave, person)
        if self.model.transition is not None:
            self._at(self.model.transition.at, self._switch, self.model.transition)

    def _switch(self, step) -> None:
        switch(self, self.flow, step.arg, self.flow.env.now)

    def _at(self, when: float, handler, arg) -> None:
        flow = self.flow
        flow.call_at(when, handler, arg, flow.env.now, priority=URGENT)

    def settle(self, rep: Rep, now: float) -> None:
        """Schedule a rep's departure (attrition) and PTO, drawn for its seat and occupant."""
        self._attrition(rep, now)
        role = rep.seat.role
        if role.away:
            blocks = self._pto(role, rep.seat, rep.hired)
            self._days_off(rep, [day for block in blocks for day in block], now)

    def _attrition(self, rep: Rep, now: float) -> None:
        seat = rep.seat
        if seat.leaves is not None:
            self.leaving[rep.id] = now + seat.leaves.exponential(1 / seat.role.attrition)
            self._at(self.leaving[rep.id], self._leave, rep)

    def _days_off(self, rep: Rep, days: list[int], now: float, carried: bool = False) -> bool:
        """Close `days` in the rep's own calendar and schedule its times away; whether it is
        away now (only for days `carried` over from its predecessor at a switch, whose PTO
        may have begun before it: a new rep's first day off is at or after `now`)."""
        rep.days_off = days
        rep.calendar = with_days_off(rep.seat.role.calendar, days)
        away = False
        for first, last in _runs(days):
            if (last + 1) * DAY <= now:
                continue
            if carried and first * DAY <= now:
                away = True
            else:
                self._at(first * DAY, self._away, rep)
            self._at((last + 1) * DAY, self._back, rep)
        return away

    def carry_over(self, rep: Rep, successor: Rep, now: float) -> bool:
        """A successor (the same person in a new crew at a switch, see transition.py) keeps
        its predecessor's time to leave in the same role, or leaves at its new role's rate
        from now (the hazard has no memory); and keeps its PTO days where both roles have
        PTO (its new role's own draw where only that one has). Whether it is away now."""
        role = successor.seat.role
        if role is rep.seat.role and rep.id in self.leaving:
            self.leaving[successor.id] = self.leaving[rep.id]
            self._at(self.leaving[rep.id], self._leave, successor)
        elif role is not rep.seat.role:
            self._attrition(successor, now)
        if not role.away:
            return False
        if not rep.seat.role.away:
            blocks = self._pto(role, successor.seat, now)
            return self._days_off(successor, [day for block in blocks for day in block], now)
        return self._days_off(successor, rep.days_off, now, carried=True)

    def _pto(self, role: RolePlan, seat: Seat, hired: float) -> list[list[int]]:
        """A rep's PTO blocks: in each year from t = 0, `pto_days` working days in blocks of
        `pto_block` consecutive working days, at random among the year's blocks; blocks that
        begin before the rep joins are not taken."""
        rng = self.streams.generator(PTO, *seat.keys, seat.occupants - 1)
        size = role.pto_block
        person = seat.person if seat.occupants == 1 else None
        pto_days = person.pto_days if person and person.pto_days is not None else role.pto_days
        blocks = []
        for days in self._years_of_working_days(role):
            slots = len(days) // size
            count = min(math.ceil(pto_days / size), slots)
            if count == 0:
                continue
            lengths = [size] * count
            lengths[-1] = min(size, pto_days - (count - 1) * size)
            for slot, length in zip(rng.choice(slots, count, replace=False), lengths, strict=True):
                block = days[slot * size : slot * size + length].tolist()
                if block[0] * DAY >= hired:
                    blocks.append(block)
        return sorted(blocks)

    def _years_of_working_days(self, role: RolePlan) -> list[np.ndarray]:
        """For each year of the run (365 days from t = 0), the days the role works."""
        if role.index not in self._working_days:
            years = math.ceil(self.model.end / YEAR)
            working = working_days(role.calendar, years * 365)
            self._working_days[role.index] = [
                working[(working >= y * 365) & (working < (y + 1) * 365)] for y in range(years)
            ]
        return self._working_days[role.index]

    # -- people events

    def hire_into(self, seat: Seat, now: float) -> None:
        """A new rep (tenure 0, or the named person's own) joins a seat and picks up waiting
        work."""
        role = seat.role
        crew = self.crews[role.index][seat.crew]
        person = seat.person if seat.occupants == 0 else None
        if person is None:
            skills = _skills(role, self.model, self.streams, 1, *seat.about)[0]
            rep = Rep(len(self.reps), len(crew.reps), crew, skills, now)
        else:
            skills = _skill_of(person, seat, self.model, self.streams)
            rep = Rep(len(self.reps), len(crew.reps), crew, skills, now - (person.tenure or 0.0))
            rep.name = person.name
            rep.since = now  # on the payroll from now, however long in the trade before
        rep.seat = seat
        seat.occupants += 1
        self.reps.append(rep)
        self.joined.append(rep.id)
        self.settle(rep, now)
        crew.join(rep, now, self.flow)

    def depart(self, rep: Rep, now: float) -> None:
        """A rep leaves the payroll, after the task in progress if it has one; its open
        outbound sequences go back to its territory."""
        self._crew(rep).step_out(rep, now, self.flow)
        if rep.prospector is not None:
            self.flow.prospecting.drop(rep, now, self.flow)
        if rep.busy:
            rep.quitting = True
        else:
            rep.left = now

    def _leave(self, step) -> None:
        """Attrition: the rep leaves; with backfill its seat is refilled after a delay."""
        if step.arg.on_payroll:
            self.leave(step.arg)

    def leave(self, rep: Rep) -> None:
        """The rep leaves; with backfill its seat is refilled after a delay."""
        now = self.flow.env.now
        self.depart(rep, now)
        seat = rep.seat
        if seat.refills is not None and not seat.closed:
            seat.vacant = True
            delay = float(seat.role.backfill.sample(seat.refills, 1)[0])
            self._at(now + delay, self._refill, seat)

    def _join(self, step) -> None:
        """A named person's dated start, in a new seat of their crew."""
        role, person = step.arg
        self.hire_into(self.new_seat(role, person.crew, person), self.flow.env.now)

    def _planned_leave(self, step) -> None:
        """A named person's planned departure: the seat stays empty, or with backfill is
        refilled as after attrition. Nothing if they have left already."""
        person: PersonPlan = step.arg
        rep = next((r for r in self.reps if r.name == person.name and r.on_payroll), None)
        if rep is None:
            return
        if person.backfill:
            self.leave(rep)
        else:
            rep.seat.closed = True
            self.depart(rep, self.flow.env.now)

    def _refill(self, step) -> None:
        seat = step.arg
        if not seat.closed:
            seat.vacant = False
            self.hire_into(seat, self.flow.env.now)

    def _hire(self, step) -> None:
        """A dated hire (new seats) or planned departure (seats given up)."""
        plan: HirePlan = step.arg
        now = self.flow.env.now
        role = self.model.roles[plan.role]
        if plan.count > 0:
            for _ in range(plan.count):
                self.hire_into(self.new_seat(role, plan.crew), now)
            return
        gone = -plan.count
        for seat in reversed(self.seats[plan.role]):
            if gone and seat.crew == plan.crew and seat.vacant and not seat.closed:
                seat.closed, gone = True, gone - 1
        staying = [r for r in self.crews[plan.role][plan.crew].reps if r.on_payroll]
        for rep in sorted(staying, key=lambda r: (r.hired, r.id), reverse=True)[:gone]:
            rep.seat.closed = True
            self.depart(rep, now)

    def _away(self, step) -> None:
        rep = step.arg
        if rep.on_payroll:
            self._crew(rep).step_out(rep, self.flow.env.now, self.flow)

    def _back(self, step) -> None:
        rep = step.arg
        if rep.on_payroll:
            self._crew(rep).join(rep, self.flow.env.now, self.flow)

    def _crew(self, rep: Rep) -> Crew:
        return self.all_crews[rep.crew_id]


def calendars_of(records, role: RolePlan):
    """The calendars a role's reps worked on, rebuilt from a replication's records: the
    role's (for reps without PTO), then each rep's own with its days off closed; as
    (calendar, rep ids)."""
    reps = np.flatnonzero(records.reps["role"] == role.index)
    off = records.days_off
    own = np.unique(off["rep"][np.isin(off["rep"], reps)])
    yield role.calendar, np.setdiff1d(reps, own)
    for rep in own:
        yield with_days_off(role.calendar, off["day"][off["rep"] == rep].tolist()), np.array([rep])


def _runs(days: list[int]) -> list[tuple[int, int]]:
    """Sorted days as runs of consecutive days (first, last): two blocks that touch are one
    time away."""
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][1] + 1:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(a, b) for a, b in runs]


def _routing_draws(streams: Streams, role: str, pod: int | None):
    """Uniforms for `random` routing, drawn a block at a time from the crew's own stream."""
    rng = streams.generator(ROUTING, key(role), 0 if pod is None else pod + 1)
    buffer: list[float] = []

    def draw() -> float:
        if not buffer:
            buffer.extend(rng.random(BLOCK).tolist()[::-1])
        return buffer.pop()

    return draw


def _skills(
    role: RolePlan, model: Model, streams: Streams, n: int, *about: int
) -> list[list[float]]:
    """Skills of `n` reps, each a flat list by (stage, segment of the lead): the skill at
    stage s for a lead of segment g is at `s * segments + g` (`LeadFlow.decide`). Drawn
    keyed to the role (the stage, unless one skill spans every stage; the segment, when
    skill is by_segment) and `about` (nothing for today's reps, who are keyed by their index
    in the draw; seat and occupant for a new rep). Today's reps (no `about`) are scaled so
    that their mean is the distribution's mean: a team's written rate is its rate."""
    segments, stages = model.segments, model.stages
    if all(d.dist == "constant" for d in role.skill):
        return [[d.value for d in role.skill] * len(stages) for _ in range(n)]
    name = key(role.name)
    shared = all(d is role.skill[0] for d in role.skill)
    per_segment = [(role.skill[0], ())] if shared else list(zip(role.skill, segments, strict=True))

    def stage_skills(*scope: str) -> list[np.ndarray]:
        """The reps' skills at one stage (or every stage), by segment."""
        draws = []
        for dist, segment in per_segment:
            mine = (key(segment),) if segment else ()
            drawn = dist.sample(streams.generator(SKILL, name, *scope, *mine, *about), n)
            if not about and n and drawn.mean() > 0:  # today's team: relative to the team
                drawn = drawn * dist.expected() / drawn.mean()
            draws.append(drawn)
        return draws * len(segments) if shared else draws

    if role.skill_across_stages:
        by_stage = [stage_skills()] * len(stages)
    else:
        by_stage = [stage_skills(key(stage.name)) for stage in stages]
    return [[float(d[i]) for at in by_stage for d in at] for i in range(n)]


def _hired(role: RolePlan, streams: Streams, n: int) -> list[float]:
    """When each of `n` unnamed reps of today joined (minus their tenure at t = 0, drawn once
    per rep and keyed to role and rep index); past any ramp when the role gives no tenure."""
    if role.tenure is None:
        return [-np.inf] * n
    tenure = role.tenure.sample(streams.generator(TENURE, key(role.name)), n)
    return (-tenure).tolist()


def _tenure_of(person: PersonPlan, role: RolePlan, streams: Streams) -> float:
    """A named person's tenure at t = 0: as written, or drawn keyed to the name."""
    if person.tenure is not None:
        return person.tenure
    if role.tenure is None:
        return np.inf
    return float(role.tenure.sample(streams.generator(TENURE, PERSON, key(person.name)), 1)[0])


def _skill_of(person: PersonPlan, seat: Seat, model: Model, streams: Streams) -> list[float]:
    """A named person's skills: as written (not scaled to the team), or drawn as written
    keyed to the name."""
    if person.skills is not None:
        return list(person.skills)
    return _skills(seat.role, model, streams, 1, *seat.about)[0]
